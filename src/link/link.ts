/**
 * Linking: every name a checked `.ramp` model uses is resolved against the files it points at, before any
 * compiler pass runs. The backbone must parse; its inputs, outputs, layers, cut tensors and exit outputs
 * must exist; every weight a head or policy reads must exist with the shape the head implies. Unknown names
 * get did-you-mean suggestions; missing and unreadable files are diagnostics.
 */
import { readFile } from 'node:fs/promises';
import { closestMatch, type Diagnostic, diagnostic, type SourceSpan } from '../diagnostics/index.js';
import { parseSafetensors, type SafetensorsFile } from '../io/index.js';
import {
  type CheckedModel,
  headComponents,
  type PolicyModule,
  resolveExitLayers,
  type StringLiteral,
  type WeightComponent,
  type WeightsDecl,
  weightKeys,
} from '../parser/index.js';
import { type LayerLayout, type ModelSymbols, readModelSymbols } from './model-symbols.js';
import {
  componentTensors,
  confidenceTensors,
  mambaTensors,
  Sizes,
  type TensorSpec,
} from './weight-shapes.js';

export interface LinkedModel {
  readonly model: CheckedModel;
  readonly backbone: ModelSymbols;
  readonly layers: LayerLayout;
  /** Sorted 1-based layers with an exit, all within the backbone. */
  readonly exitLayers: readonly number[];
  /** For `from outputs`: the graph output read at each exit, in exit order. */
  readonly exitOutputs?: readonly string[];
  /** Sizes learned from the files: H (hidden), C (classes), D (MLP width), ... */
  readonly sizes: ReadonlyMap<string, number>;
  /** Every weights file the model reads, by absolute path. */
  readonly weightFiles: ReadonlyMap<string, SafetensorsFile>;
}

export interface LinkResult {
  readonly linked?: LinkedModel;
  readonly diagnostics: Diagnostic[];
}

/** Files are read once per link run, however many times the `.ramp` file names them. */
export class FileCache {
  private readonly weights = new Map<
    string,
    Promise<{ file?: SafetensorsFile; diagnostics: Diagnostic[] }>
  >();
  private readonly models = new Map<string, Promise<{ symbols?: ModelSymbols; diagnostics: Diagnostic[] }>>();

  safetensors(
    path: string,
    span: SourceSpan,
  ): Promise<{ file?: SafetensorsFile; diagnostics: Diagnostic[] }> {
    let entry = this.weights.get(path);
    if (!entry) {
      entry = readBytes(path, 'weights file', span).then((r) =>
        r.bytes ? parseSafetensors(r.bytes, path) : r,
      );
      this.weights.set(path, entry);
    }
    return entry;
  }

  model(path: string, span: SourceSpan): Promise<{ symbols?: ModelSymbols; diagnostics: Diagnostic[] }> {
    let entry = this.models.get(path);
    if (!entry) {
      entry = readBytes(path, 'backbone', span).then((r) => (r.bytes ? readModelSymbols(r.bytes, path) : r));
      this.models.set(path, entry);
    }
    return entry;
  }
}

async function readBytes(
  path: string,
  what: string,
  span: SourceSpan,
): Promise<{ bytes?: Uint8Array; diagnostics: Diagnostic[] }> {
  try {
    return { bytes: await readFile(path), diagnostics: [] };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    return { diagnostics: [diagnostic('OR3001', { what, file: path, reason }, { span })] };
  }
}

/** Points a diagnostic from another file's reader at the place in the `.ramp` file that named that file. */
function namedAt(d: Diagnostic, span: SourceSpan, what: string): Diagnostic {
  return d.span ? d : { ...d, span, related: [...d.related, { message: `${what} named here`, span }] };
}

function suggest(name: string, candidates: Iterable<string>): { suggestion?: string } {
  const near = closestMatch(name, candidates);
  return near && near !== name ? { suggestion: `did you mean '${near}'?` } : {};
}

/** Candidate layer patterns seen in node names: `/bert/encoder/layer.3/attention` → `/bert/encoder/layer.{i}/`. */
function patternCandidates(nodeNames: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const name of nodeNames) {
    const m = /^(.*?[./_])(\d+)([./])/.exec(name);
    if (m) out.add(`${m[1]}{i}${m[3]}`);
  }
  return out;
}

export async function linkModel(model: CheckedModel, cache = new FileCache()): Promise<LinkResult> {
  const diagnostics: Diagnostic[] = [];
  const report = (d: Diagnostic) => diagnostics.push(d);
  const backbonePath = model.backbone.path;
  const read = await cache.model(backbonePath.resolved, backbonePath.loc);
  for (const d of read.diagnostics) report(namedAt(d, backbonePath.loc, 'backbone'));
  const symbols = read.symbols;
  if (!symbols) return { diagnostics };

  // Inputs and outputs the file names.
  for (const name of model.backbone.inputs?.names ?? []) {
    if (!symbols.inputs.includes(name.value))
      report(
        diagnostic(
          'OR3008',
          { name: name.value },
          { span: name.loc, ...suggest(name.value, symbols.inputs) },
        ),
      );
  }
  for (const name of model.backbone.outputs?.names ?? []) {
    if (!symbols.outputs.includes(name.value))
      report(
        diagnostic(
          'OR3006',
          { name: name.value },
          { span: name.loc, ...suggest(name.value, symbols.outputs) },
        ),
      );
  }

  // Layers.
  const layers = findLayers(model, symbols, report);
  if (!layers) return { diagnostics };

  // Exit layers within the backbone.
  const exitLayers = linkExitLayers(model, layers, report);
  const exitOutputs = model.exits.fromOutputs
    ? linkOutputs(model.exits.fromOutputs, exitLayers, model, symbols, report)
    : undefined;

  // Weights.
  const sizes = new Sizes();
  if (layers.hiddenSize !== undefined) sizes.bind('H', layers.hiddenSize, 'the backbone');
  const weightFiles = new Map<string, SafetensorsFile>();
  const linker = new WeightLinker(cache, sizes, weightFiles, report);
  await linkHeadWeights(model, exitLayers, linker);
  await linkPolicyWeights(model, exitLayers, layers.count, linker);

  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return {
    diagnostics,
    linked: {
      model,
      backbone: symbols,
      layers,
      exitLayers,
      ...(exitOutputs ? { exitOutputs } : {}),
      sizes: new Map([...sizes.bound].map(([k, v]) => [k, v.value])),
      weightFiles,
    },
  };
}

function findLayers(
  model: CheckedModel,
  symbols: ModelSymbols,
  report: (d: Diagnostic) => void,
): LayerLayout | undefined {
  const spec = model.backbone.layers?.spec ?? { kind: 'AutoLayers' as const, loc: model.backbone.path.loc };
  if (spec.kind === 'CutLayers') {
    let ok = true;
    for (const cut of spec.cuts) {
      if (!symbols.valueNames.has(cut.value)) {
        ok = false;
        report(
          diagnostic(
            'OR3009',
            { name: cut.value },
            { span: cut.loc, ...suggest(cut.value, symbols.valueNames) },
          ),
        );
      }
    }
    return ok ? { count: spec.cuts.length, pattern: '', cuts: spec.cuts.map((c) => c.value) } : undefined;
  }
  const pattern = spec.kind === 'PatternLayers' ? spec.pattern.value : undefined;
  const found = symbols.discoverLayers(pattern);
  if (found.layout) return found.layout;
  const matchesAny =
    pattern !== undefined && symbols.nodeNames.some((n) => n.includes(pattern.split('{i}')[0]!));
  if (pattern !== undefined && !matchesAny) {
    report(
      diagnostic(
        'OR3002',
        { pattern },
        { span: spec.loc, ...suggest(pattern, patternCandidates(symbols.nodeNames)) },
      ),
    );
    return undefined;
  }
  for (const d of found.diagnostics) report(namedAt(d, spec.loc, 'layers'));
  return undefined;
}

function linkExitLayers(model: CheckedModel, layers: LayerLayout, report: (d: Diagnostic) => void): number[] {
  const s = model.exits.selection;
  const numbers =
    s.kind === 'ExitList'
      ? s.layers
      : s.kind === 'ExitRange'
        ? [s.from, s.to]
        : s.kind === 'ExitEvery'
          ? [s.step]
          : [];
  for (const n of numbers) {
    if (n.value > layers.count)
      report(diagnostic('OR3005', { layer: n.value, layers: layers.count }, { span: n.loc }));
  }
  return (resolveExitLayers(s, layers.count) ?? []).filter((l) => l <= layers.count);
}

function linkOutputs(
  template: StringLiteral,
  exitLayers: number[],
  model: CheckedModel,
  symbols: ModelSymbols,
  report: (d: Diagnostic) => void,
): string[] {
  const nameOf = (layer: number) => template.value.replace('{i}', String(layer - 1));
  const all = model.exits.selection.kind === 'ExitAll';
  const present = exitLayers.filter((l) => symbols.outputs.includes(nameOf(l)));
  if (all) {
    if (present.length === 0) {
      report(
        diagnostic(
          'OR3010',
          { template: template.value, detail: ` (outputs: ${symbols.outputs.join(', ')})` },
          { span: template.loc, ...suggest(nameOf(1), symbols.outputs) },
        ),
      );
    }
    exitLayers.splice(0, exitLayers.length, ...present);
    return present.map(nameOf);
  }
  // The first missing output is enough to show the template is wrong.
  const missing = exitLayers.find((l) => !symbols.outputs.includes(nameOf(l)));
  for (const l of missing === undefined ? [] : [missing]) {
    report(
      diagnostic(
        'OR3010',
        { template: template.value, detail: ` for the exit after layer ${l} ('${nameOf(l)}')` },
        { span: template.loc, ...suggest(nameOf(l), symbols.outputs) },
      ),
    );
  }
  return exitLayers.map(nameOf);
}

/** Checks tensors of one weights file against shape specs, binding named sizes as it goes. */
class WeightLinker {
  constructor(
    private readonly cache: FileCache,
    readonly sizes: Sizes,
    private readonly files: Map<string, SafetensorsFile>,
    private readonly report: (d: Diagnostic) => void,
  ) {}

  async open(weights: WeightsDecl): Promise<SafetensorsFile | undefined> {
    const read = await this.cache.safetensors(weights.file.resolved, weights.file.loc);
    for (const d of read.diagnostics) this.report(namedAt(d, weights.file.loc, 'weights file'));
    if (read.file) this.files.set(weights.file.resolved, read.file);
    return read.file;
  }

  /** Prefix for one exit (`{i}` = layer - 1); shared templates give the same prefix for every exit. */
  check(
    file: SafetensorsFile,
    template: StringLiteral,
    layers: readonly number[],
    specs: readonly TensorSpec[],
    role: string,
  ): void {
    const prefixes = [...new Set(layers.map((l) => template.value.replace('{i}', String(l - 1))))];
    for (const prefix of prefixes) {
      for (const spec of specs) {
        const key = `${prefix}${spec.suffix}`;
        // One problem per template says what is wrong; the same mistake at every exit would only repeat it.
        if (!this.checkTensor(file, key, spec, role, template.loc)) return;
      }
    }
  }

  private checkTensor(
    file: SafetensorsFile,
    key: string,
    spec: TensorSpec,
    role: string,
    span: SourceSpan,
  ): boolean {
    const tensor = file.tensors.get(key);
    if (!tensor) {
      this.report(
        diagnostic('OR3003', { file: file.file, key }, { span, ...suggest(key, file.tensors.keys()) }),
      );
      return false;
    }
    if (tensor.dtype !== 'F32') {
      this.report(diagnostic('OR3011', { key, dtype: tensor.dtype, role }, { span }));
      return false;
    }
    const actual = tensor.shape;
    const expected = spec.shape;
    const shown = () => expected.map((d) => this.sizes.value(d) ?? d).join(', ');
    if (actual.length !== expected.length) {
      this.report(
        diagnostic('OR3004', { key, actual: actual.join(', '), role, expected: shown() }, { span }),
      );
      return false;
    }
    // Bind plain names first (so `2*H` can be evaluated), then compare every dimension.
    expected.forEach((d, k) => {
      if (typeof d === 'string' && /^[A-Z]$/.test(d)) this.sizes.bind(d, actual[k]!, `'${key}'`);
    });
    for (const [k, d] of expected.entries()) {
      const value = this.sizes.value(d);
      if (value === undefined || value === actual[k]) continue;
      const source = typeof d === 'string' ? this.sizes.bound.get(d)?.source : undefined;
      if (source && source !== `'${key}'`) {
        this.report(
          diagnostic(
            'OR3012',
            { role: `'${key}'`, dim: d, actual: actual[k]!, source, expected: value },
            { span },
          ),
        );
      } else {
        this.report(
          diagnostic('OR3004', { key, actual: actual.join(', '), role, expected: shown() }, { span }),
        );
      }
      return false;
    }
    return true;
  }
}

function roleOf(component: WeightComponent): string {
  return component === 'linear'
    ? 'a linear head'
    : component === 'mlp'
      ? 'an MLP head'
      : component === 'mamba'
        ? 'a Mamba head'
        : `the ${component}`;
}

async function linkHeadWeights(
  model: CheckedModel,
  exitLayers: number[],
  linker: WeightLinker,
): Promise<void> {
  const { head, weights } = model.exits;
  if (!head || !weights) return;
  const c = head.classifier;
  if (c.kind !== 'LmHead' && c.classes) linker.sizes.bind('C', c.classes.value, "the head's 'classes'");
  if (c.kind === 'MlpHead' && c.hidden) linker.sizes.bind('D', c.hidden.value, "the head's 'hidden'");
  if (c.kind === 'MambaHead') bindMamba(c, linker.sizes);
  const file = await linker.open(weights);
  if (!file) return;
  const keys = weightKeys(weights, head);
  const mlpLayers = c.kind === 'MlpHead' ? (c.layers?.value ?? 1) : 0;
  for (const component of headComponents(head)) {
    const template = keys.get(component);
    if (template)
      linker.check(file, template, exitLayers, componentTensors(component, mlpLayers), roleOf(component));
  }
}

function bindMamba(
  c: { dState?: { value: number }; dConv?: { value: number }; expand?: { value: number } },
  sizes: Sizes,
): void {
  if (c.dState) sizes.bind('S', c.dState.value, "'d_state'");
  if (c.dConv) sizes.bind('K', c.dConv.value, "'d_conv'");
  const h = sizes.bound.get('H')?.value;
  if (h !== undefined && c.expand) sizes.bind('E', c.expand.value * h, "'expand' times the hidden size");
  if (h !== undefined) sizes.bind('R', Math.ceil(h / 16), 'the hidden size / 16 (dt_rank)');
}

async function linkModule(
  module: PolicyModule | undefined,
  layers: readonly number[],
  specs: TensorSpec[],
  role: string,
  linker: WeightLinker,
): Promise<void> {
  const weights = module?.weights;
  const template = weights?.keys[0]?.template;
  if (!weights || !template) return;
  const file = await linker.open(weights);
  if (file) linker.check(file, template, layers, specs, role);
}

async function linkPolicyWeights(
  model: CheckedModel,
  exitLayers: number[],
  layerCount: number,
  linker: WeightLinker,
): Promise<void> {
  const p = model.policy;
  switch (p.name) {
    case 'qexit':
    case 'pondernet': {
      const arch = p.lambda?.architecture;
      const blocks = arch?.kind === 'MlpHead' ? arch.layers?.value : undefined;
      if (arch?.kind === 'MlpHead' && arch.hidden)
        linker.sizes.bind('L', arch.hidden.value, "the lambda's 'hidden'");
      // Without `layers`, count the hidden blocks the file has.
      const file = p.lambda?.weights ? await linker.open(p.lambda.weights) : undefined;
      const prefix = p.lambda?.weights?.keys[0]?.template.value ?? '';
      let k = blocks ?? 0;
      if (blocks === undefined && file) while (file.tensors.has(`${prefix}hidden.${k}.weight`)) k++;
      const specs = componentTensors('lambda', k).map((s) => ({
        ...s,
        shape: s.shape.map((d) => (d === 'D' ? 'L' : d)),
      }));
      await linkModule(p.lambda, exitLayers, specs, "PALBERT's lambda", linker);
      break;
    }
    case 'jei':
      // The last backbone layer always exits, so it has no gate.
      await linkModule(
        p.gates,
        exitLayers.filter((l) => l < layerCount),
        componentTensors('gate', 0),
        'a JEI gate',
        linker,
      );
      break;
    case 'learned': {
      // The last backbone layer always exits, so it has no confidence classifier.
      const arch = p.classifier?.architecture;
      if (arch?.kind === 'MambaHead') bindMamba(arch, linker.sizes);
      await linkModule(
        p.classifier,
        exitLayers.filter((l) => l < layerCount),
        arch?.kind === 'MambaHead'
          ? mambaTensors().map((t) => ({ ...t, shape: t.shape.map((d) => (d === 'C' ? 2 : d)) }))
          : confidenceTensors(),
        arch?.kind === 'MambaHead' ? 'a Mamba confidence classifier' : 'a learned confidence classifier',
        linker,
      );
      break;
    }
    case 'mamba': {
      const arch = p.head?.architecture;
      if (arch?.kind === 'MambaHead') {
        if (arch.classes) linker.sizes.bind('C', arch.classes.value, "the head's 'classes'");
        bindMamba(arch, linker.sizes);
      }
      await linkModule(p.head, exitLayers, mambaTensors(), 'a Mamba exit head', linker);
      break;
    }
    default:
      break;
  }
}
