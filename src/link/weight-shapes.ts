/**
 * The tensors each head part and policy part reads, with shapes in named sizes: H (hidden), C (classes),
 * D (MLP width), and the Mamba sizes. Names follow PyTorch state dicts (`Linear` stores [out, in]).
 */
import type { WeightComponent } from '../parser/index.js';

/** A dimension: a number, or a named size bound by the first tensor that shows it. */
export type DimSpec = number | string;

export interface TensorSpec {
  /** Suffix appended to the key prefix, e.g. `weight`. */
  readonly suffix: string;
  readonly shape: readonly DimSpec[];
}

function linear(prefix: string, out: DimSpec, input: DimSpec): TensorSpec[] {
  return [
    { suffix: `${prefix}weight`, shape: [out, input] },
    { suffix: `${prefix}bias`, shape: [out] },
  ];
}

/** CALM's learned confidence: Linear(H → 2) on the exit's hidden state. */
export function confidenceTensors(): TensorSpec[] {
  return linear('', 2, 'H');
}

/** `layers` hidden Linear blocks of width D, then `out` outputs (as PALBERT's lambda: hidden.{k}., out.). */
export function mlpTensors(layers: number, input: DimSpec, out: DimSpec): TensorSpec[] {
  const specs: TensorSpec[] = [];
  for (let k = 0; k < layers; k++) specs.push(...linear(`hidden.${k}.`, 'D', k === 0 ? input : 'D'));
  specs.push(...linear('out.', out, layers > 0 ? 'D' : input));
  return specs;
}

/** A Mamba mixer (HF layout) whose output projection yields the C class logits, as DYNAMAX uses it. */
export function mambaTensors(): TensorSpec[] {
  return [
    { suffix: 'in_proj.weight', shape: ['2*E', 'H'] },
    { suffix: 'conv1d.weight', shape: ['E', 1, 'K'] },
    { suffix: 'conv1d.bias', shape: ['E'] },
    { suffix: 'x_proj.weight', shape: ['R+2*S', 'E'] },
    { suffix: 'dt_proj.weight', shape: ['E', 'R'] },
    { suffix: 'dt_proj.bias', shape: ['E'] },
    { suffix: 'A_log', shape: ['E', 'S'] },
    { suffix: 'D', shape: ['E'] },
    { suffix: 'out_proj.weight', shape: ['C', 'E'] },
  ];
}

/** The tensors of one head part, given the classifier's declared sizes. */
export function componentTensors(component: WeightComponent, mlpLayers: number): TensorSpec[] {
  switch (component) {
    case 'pooler':
      return linear('', 'H', 'H');
    case 'layernorm':
      return [
        { suffix: 'weight', shape: ['H'] },
        { suffix: 'bias', shape: ['H'] },
      ];
    case 'rmsnorm':
      return [{ suffix: 'weight', shape: ['H'] }];
    case 'linear':
      return linear('', 'C', 'H');
    case 'mlp':
      return mlpTensors(mlpLayers, 'H', 'C');
    case 'mamba':
      return mambaTensors();
    case 'lambda':
      return mlpTensors(mlpLayers, '2*H', 1);
    case 'gate':
      // JEI-DNN's gate: a Linear over four uncertainty features.
      return linear('', 1, 4);
  }
}

/** Named sizes, bound as tensors are seen; `value` evaluates `2*H` or `R+2*S` once its names are bound. */
export class Sizes {
  readonly bound = new Map<string, { value: number; source: string }>();

  bind(name: string, value: number, source: string): void {
    if (!this.bound.has(name)) this.bound.set(name, { value, source });
  }

  /** The value of a dimension spec, or undefined while a name in it is unbound. */
  value(spec: DimSpec): number | undefined {
    if (typeof spec === 'number') return spec;
    let sum = 0;
    for (const term of spec.split('+')) {
      let product = 1;
      for (const factor of term.split('*')) {
        const n = /^\d+$/.test(factor) ? Number(factor) : this.bound.get(factor)?.value;
        if (n === undefined) return undefined;
        product *= n;
      }
      sum += product;
    }
    return sum;
  }
}
