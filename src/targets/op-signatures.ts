/**
 * Where each type parameter of an operator is read from a node, following the ONNX schemas' type
 * constraints (e.g. Cast: T1 = input 0, T2 = output 0). Kernel registrations constrain type
 * parameters, so checking a node means reading its type at the parameter's port.
 * Operators not listed have one parameter, T, at input 0. The first parameter listed is the principal
 * one: the one the probe varies.
 */
export type Port = { readonly input: number } | { readonly output: number };

const IN0: Port = { input: 0 };
const IN1: Port = { input: 1 };
const OUT0: Port = { output: 0 };

const COMPARISON = { T: IN0, T1: OUT0 };
const GATHER = { T: IN0, Tind: IN1 };

const SIGNATURES: Readonly<Record<string, Readonly<Record<string, Port>>>> = {
  Cast: { T1: IN0, T2: OUT0 },
  ConstantOfShape: { T2: OUT0, T1: IN0 },
  CumSum: { T: IN0, T2: IN1 },
  Equal: COMPARISON,
  Greater: COMPARISON,
  GreaterOrEqual: COMPARISON,
  Less: COMPARISON,
  LessOrEqual: COMPARISON,
  Gather: GATHER,
  GatherElements: GATHER,
  If: { V: OUT0, B: IN0 },
  Loop: { V: { input: 2 }, I: IN0, B: IN1 },
  Scan: { V: IN0 },
  Pow: { T: IN0, T1: IN1 },
  Shape: { T: IN0, T1: OUT0 },
  Size: { T: IN0, T1: OUT0 },
  Slice: { T: IN0, Tind: IN1 },
  TopK: { T: IN0, I: { output: 1 } },
  Where: { T: IN1, B: IN0 },
};

const DEFAULT_SIGNATURE: Readonly<Record<string, Port>> = { T: IN0 };

export function typeParameters(op: string): Readonly<Record<string, Port>> {
  return Object.hasOwn(SIGNATURES, op) ? SIGNATURES[op]! : DEFAULT_SIGNATURE;
}

/** The principal type parameter: the one a probe varies and a profile always lists. */
export function principalTypeParameter(op: string): string {
  return Object.keys(typeParameters(op))[0]!;
}

export function describePort(port: Port): string {
  return 'input' in port ? `input ${port.input}` : `output ${port.output}`;
}
