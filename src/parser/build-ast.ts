/**
 * CST → AST. Runs only on a CST without syntax errors, so every required child is present; what it still
 * reports is what the grammar leaves open: string escapes, numbers out of range, unknown policy, target,
 * head and option names (with did-you-mean), parameters a block does not take, and values of the wrong type.
 */
import path from 'node:path';
import type { IToken } from 'chevrotain';
import { closestMatch, type Diagnostic, diagnostic, type SourceSpan } from '../diagnostics/index.js';
import type * as A from './ast.js';
import type * as C from './generated/cst-types.js';
import {
  booleanValue,
  type DecodeContext,
  type Decoder,
  decodeParams,
  enumValue,
  numberListValue,
  numberValue,
  type ParamTable,
  pathValue,
  reportUnknownOption,
  stringValue,
} from './params.js';
import { joinSpans, nodeSpan, subSpan, tokenSpan } from './span.js';
import { decodeString } from './strings.js';

export const POOL_MODES: readonly A.PoolMode[] = ['cls', 'mean', 'last', 'none'];
export const ACTIVATIONS: readonly A.Activation[] = ['tanh', 'relu', 'gelu', 'sigmoid'];
export const TARGET_NAMES: readonly A.TargetName[] = ['cpu', 'cuda', 'webgpu'];
export const HEAD_NAMES = ['pooler', 'layernorm', 'rmsnorm', 'linear', 'mlp', 'mamba', 'lm_head'] as const;
export const NORM_NAMES: readonly A.NormKind[] = ['layernorm', 'rmsnorm'];
export const WEIGHT_COMPONENTS: readonly A.WeightComponent[] = [
  'pooler',
  'layernorm',
  'rmsnorm',
  'linear',
  'mlp',
  'mamba',
  'lambda',
  'gate',
];
export const CONFIDENCE_MEASURES: readonly A.ConfidenceMeasure[] = ['maxprob', 'margin', 'entropy'];

class Builder implements DecodeContext {
  readonly diagnostics: Diagnostic[] = [];
  constructor(
    readonly file: string,
    readonly directory: string,
  ) {}

  span(token: IToken): SourceSpan {
    return tokenSpan(this.file, token);
  }

  resolvePath(written: string, loc: SourceSpan): A.PathLiteral {
    return { kind: 'Path', loc, written, resolved: path.resolve(this.directory, written) };
  }

  // ------------------------------------------------------------------------------------------ literals

  string(token: IToken): A.StringLiteral {
    const loc = this.span(token);
    const { value, problems } = decodeString(token.image);
    for (const p of problems) {
      this.diagnostics.push(diagnostic('OR1003', { text: p.text }, { span: subSpan(loc, p.from, p.to) }));
    }
    return { kind: 'String', loc, value };
  }

  path(token: IToken): A.PathLiteral {
    const s = this.string(token);
    return this.resolvePath(s.value, s.loc);
  }

  number(token: IToken): A.NumberLiteral {
    const loc = this.span(token);
    const value = Number(token.image);
    if (!Number.isFinite(value))
      this.diagnostics.push(diagnostic('OR1006', { text: token.image }, { span: loc }));
    return { kind: 'Number', loc, value: Number.isFinite(value) ? value : 0, raw: token.image };
  }

  name(token: IToken): A.NameLiteral {
    return { kind: 'Name', loc: this.span(token), value: token.image };
  }

  // ------------------------------------------------------------------------------------------ file

  file_(cst: C.FileCstNode, source: string, comments: readonly IToken[]): A.RampFile {
    const models = (cst.children.model ?? []).map((m) => this.model(m));
    const end = this.endSpan(source);
    return {
      kind: 'RampFile',
      loc: { file: this.file, start: { offset: 0, line: 1, column: 1 }, end: end.end },
      file: this.file,
      directory: this.directory,
      models,
      comments: comments.map((t) => ({ kind: 'Comment', loc: this.span(t), text: t.image.slice(1) })),
    };
  }

  endSpan(source: string): SourceSpan {
    const lines = source.split(/\r\n|\r|\n/);
    const last = lines[lines.length - 1] ?? '';
    const position = { offset: source.length, line: lines.length, column: last.length + 1 };
    return { file: this.file, start: position, end: position };
  }

  model(cst: C.ModelCstNode): A.ModelDecl {
    const members: A.ModelMember[] = [];
    for (const m of cst.children.member ?? []) {
      const c = m.children;
      const member = c.backbone
        ? this.backbone(c.backbone[0]!)
        : c.exits
          ? this.exits(c.exits[0]!)
          : c.policy
            ? this.policy(c.policy[0]!)
            : c.target
              ? this.target(c.target[0]!)
              : c.sdk
                ? this.sdk(c.sdk[0]!)
                : c.calibration
                  ? this.calibration(c.calibration[0]!)
                  : c.decode
                    ? this.decode(c.decode[0]!)
                    : undefined;
      if (member) members.push(member);
    }
    const first = <K extends A.ModelMember['kind']>(kind: K) =>
      members.find((m): m is Extract<A.ModelMember, { kind: K }> => m.kind === kind);
    return {
      kind: 'Model',
      loc: nodeSpan(this.file, cst),
      name: this.name(cst.children.Word[0]!),
      members,
      backbone: first('Backbone'),
      exits: first('Exits'),
      policy: first('Policy'),
      targets: members.filter((m): m is A.TargetDecl => m.kind === 'Target'),
      sdk: first('Sdk'),
      calibration: first('Calibration'),
      decode: first('Decode'),
    };
  }

  // ------------------------------------------------------------------------------------------ backbone

  backbone(cst: C.BackboneCstNode): A.BackboneDecl {
    const members: A.BackboneMember[] = [];
    for (const item of cst.children.backboneItem ?? []) {
      const c = item.children;
      if (c.layersItem) {
        members.push(this.layers(c.layersItem[0]!));
      } else {
        const list = c.stringList![0]!;
        members.push({
          kind: 'IoNames',
          loc: nodeSpan(this.file, item),
          direction: c.InputsKw ? 'inputs' : 'outputs',
          names: this.strings(list),
        });
      }
    }
    return {
      kind: 'Backbone',
      loc: nodeSpan(this.file, cst),
      path: this.path(cst.children.StringLiteral[0]!),
      members,
      layers: members.find((m): m is A.LayersDecl => m.kind === 'Layers'),
      inputs: members.find((m): m is A.IoNamesDecl => m.kind === 'IoNames' && m.direction === 'inputs'),
      outputs: members.find((m): m is A.IoNamesDecl => m.kind === 'IoNames' && m.direction === 'outputs'),
    };
  }

  strings(cst: C.StringListCstNode): A.StringLiteral[] {
    return (cst.children.StringLiteral ?? []).map((t) => this.string(t));
  }

  layers(cst: C.LayersItemCstNode): A.LayersDecl {
    const c = cst.children;
    const loc = nodeSpan(this.file, cst);
    let spec: A.LayerSpec;
    if (c.AutoKw) spec = { kind: 'AutoLayers', loc: this.span(c.AutoKw[0]!) };
    else if (c.StringLiteral) {
      const pattern = this.string(c.StringLiteral[0]!);
      spec = { kind: 'PatternLayers', loc: pattern.loc, pattern };
    } else {
      const list = c.stringList![0]!;
      spec = {
        kind: 'CutLayers',
        loc: joinSpans(this.span(c.CutsKw![0]!), nodeSpan(this.file, list)),
        cuts: this.strings(list),
      };
    }
    return { kind: 'Layers', loc, spec };
  }

  // ------------------------------------------------------------------------------------------ exits

  exits(cst: C.ExitsCstNode): A.ExitsDecl {
    const c = cst.children;
    const fromCst = c.fromOutputs?.[0];
    const fromOutputs = fromCst ? this.string(fromCst.children.StringLiteral[0]!) : undefined;
    const selection: A.ExitSelection = c.selection
      ? this.selection(c.selection[0]!)
      : { kind: 'ExitAll', loc: nodeSpan(this.file, fromCst!) };
    const members: A.ExitsMember[] = [];
    for (const item of c.exitItem ?? []) {
      const member = this.exitItem(item);
      if (member) members.push(member);
    }
    return {
      kind: 'Exits',
      loc: nodeSpan(this.file, cst),
      selection,
      fromOutputs,
      members,
      pool: members.find((m): m is A.PoolDecl => m.kind === 'Pool'),
      head: members.find((m): m is A.HeadDecl => m.kind === 'Head'),
      weights: members.find((m): m is A.WeightsDecl => m.kind === 'Weights'),
    };
  }

  selection(cst: C.SelectionCstNode): A.ExitSelection {
    const c = cst.children;
    const loc = nodeSpan(this.file, cst);
    const numbers = (c.NumberLiteral ?? []).map((t) => this.number(t));
    if (c.AllKw) return { kind: 'ExitAll', loc };
    if (c.EveryKw) return { kind: 'ExitEvery', loc, step: numbers[0]! };
    if (c.DotDot) return { kind: 'ExitRange', loc, from: numbers[0]!, to: numbers[1]! };
    return { kind: 'ExitList', loc, layers: numbers };
  }

  exitItem(cst: C.ExitItemCstNode): A.ExitsMember | undefined {
    const c = cst.children;
    if (c.PoolKw) {
      const word = c.Word![0]!;
      const loc = nodeSpan(this.file, cst);
      if (!(POOL_MODES as readonly string[]).includes(word.image)) {
        reportUnknownOption(word.image, 'pooling', POOL_MODES, this.span(word), this.diagnostics);
        return undefined;
      }
      return { kind: 'Pool', loc, mode: word.image as A.PoolMode, modeLoc: this.span(word) };
    }
    if (c.HeadKw)
      return this.head(
        cst,
        (c.call ?? []).map((k) => this.call(k)),
      );
    return this.weights(c.weights![0]!);
  }

  call(cst: C.CallCstNode): A.CallLiteral {
    const params: A.Param[] = (cst.children.param ?? []).map((p) => this.param(p));
    return {
      kind: 'Call',
      loc: nodeSpan(this.file, cst),
      callee: this.name(cst.children.Word[0]!),
      args: params,
    };
  }

  /** `head [pooler +] classifier`: the pooler is optional and first, the classifier last and only one. */
  head(cst: C.ExitItemCstNode, calls: readonly A.CallLiteral[]): A.HeadDecl | undefined {
    const loc = nodeSpan(this.file, cst);
    let pooler: A.HeadDecl['pooler'];
    let norm: A.HeadDecl['norm'];
    let classifier: A.Classifier | undefined;
    let ok = true;
    for (const [k, call] of calls.entries()) {
      const name = call.callee.value;
      if (name === 'pooler') {
        if (k !== 0 || pooler) ok = this.invalidHead('the pooler comes first, once', call.loc);
        else if (call.args.length > 0)
          ok = this.invalidHead('the pooler takes no parameters', call.args[0]!.loc);
        else pooler = { kind: 'Pooler', loc: call.loc };
        continue;
      }
      if ((NORM_NAMES as readonly string[]).includes(name)) {
        if (norm || classifier) ok = this.invalidHead('one norm, before the classifier', call.loc);
        else if (call.args.length > 0)
          ok = this.invalidHead(`${name} takes no parameters`, call.args[0]!.loc);
        else norm = { kind: 'Norm', norm: name as A.NormKind, loc: call.loc };
        continue;
      }
      if (classifier) {
        ok = this.invalidHead(
          `only one classifier per head; '${name}' follows '${classifierName(classifier)}'`,
          call.loc,
        );
        continue;
      }
      classifier = this.classifier(call);
      if (!classifier) ok = false;
    }
    if (!ok) return undefined;
    if (!classifier) {
      this.invalidHead(
        'a head needs a classifier last, e.g. `pooler + linear` or `layernorm + lm_head`',
        loc,
      );
      return undefined;
    }
    return { kind: 'Head', loc, ...(pooler ? { pooler } : {}), ...(norm ? { norm } : {}), classifier };
  }

  private invalidHead(reason: string, span: SourceSpan): false {
    this.diagnostics.push(diagnostic('OR2015', { reason }, { span }));
    return false;
  }

  /** `linear(...)`, `mlp(...)` or `mamba(...)` with typed parameters. */
  classifier(call: A.CallLiteral): A.Classifier | undefined {
    const name = call.callee.value;
    const table = CLASSIFIER_PARAMS[name];
    if (!table) {
      const known = HEAD_NAMES.filter(
        (h) => h !== 'pooler' && !(NORM_NAMES as readonly string[]).includes(h),
      );
      const near = closestMatch(name, HEAD_NAMES);
      this.diagnostics.push(
        diagnostic(
          'OR2014',
          { name, known: known.join(', ') },
          { span: call.callee.loc, ...(near ? { suggestion: `did you mean '${near}'?` } : {}) },
        ),
      );
      return undefined;
    }
    const { fields } = decodeParams(`${name}(...)`, call.args, table, this);
    const kind = CLASSIFIER_KINDS[name]!;
    return { kind, loc: call.loc, ...fields } as A.Classifier;
  }

  weights(cst: C.WeightsCstNode): A.WeightsDecl {
    const c = cst.children;
    const strings = c.StringLiteral;
    const file = this.path(strings[0]!);
    const keys: A.WeightKey[] = [];
    if (c.KeyKw) {
      const template = this.string(strings[1]!);
      keys.push({ kind: 'WeightKey', loc: joinSpans(this.span(c.KeyKw[0]!), template.loc), template });
    }
    for (const k of c.weightKey ?? []) {
      const word = k.children.Word[0]!;
      const template = this.string(k.children.StringLiteral[0]!);
      const componentLoc = this.span(word);
      if (!(WEIGHT_COMPONENTS as readonly string[]).includes(word.image)) {
        reportUnknownOption(word.image, 'weight part', WEIGHT_COMPONENTS, componentLoc, this.diagnostics);
        continue;
      }
      keys.push({
        kind: 'WeightKey',
        loc: joinSpans(componentLoc, template.loc),
        component: word.image as A.WeightComponent,
        componentLoc,
        template,
      });
    }
    return { kind: 'Weights', loc: nodeSpan(this.file, cst), file, keys };
  }

  // ------------------------------------------------------------------------------------------ values

  param(cst: C.ParamCstNode): A.Param {
    const word = cst.children.Word[0]!;
    return {
      kind: 'Param',
      loc: nodeSpan(this.file, cst),
      name: word.image,
      nameLoc: this.span(word),
      value: this.value(cst.children.value[0]!),
    };
  }

  value(cst: C.ValueCstNode): A.Value {
    const c = cst.children;
    const loc = nodeSpan(this.file, cst);
    if (c.StringLiteral) return this.string(c.StringLiteral[0]!);
    if (c.NumberLiteral) return this.number(c.NumberLiteral[0]!);
    if (c.LBracket) return { kind: 'List', loc, items: (c.value ?? []).map((v) => this.value(v)) };
    const weights = c.weights ? this.weights(c.weights[0]!) : undefined;
    if (!c.call) return weights!;
    const call = this.call(c.call[0]!);
    const hasParens = c.call[0]!.children.LParen !== undefined;
    if (!hasParens && !weights) return call.callee;
    return { ...call, loc, ...(weights ? { weights } : {}) };
  }

  // ------------------------------------------------------------------------------------------ blocks

  params(cst: C.ParamBlockCstNode | undefined): A.Param[] {
    return (cst?.children.param ?? []).map((p) => this.param(p));
  }

  policy(cst: C.PolicyCstNode): A.PolicyDecl | undefined {
    const word = cst.children.Word[0]!;
    const name = word.image;
    const nameLoc = this.span(word);
    const table = POLICY_PARAMS[name as A.PolicyName];
    const params = this.params(cst.children.paramBlock?.[0]);
    if (!table) {
      const near = closestMatch(name, Object.keys(POLICY_PARAMS));
      this.diagnostics.push(
        diagnostic(
          'OR2001',
          { name, known: Object.keys(POLICY_PARAMS).join(', ') },
          { span: nameLoc, ...(near ? { suggestion: `did you mean '${near}'?` } : {}) },
        ),
      );
      return undefined;
    }
    const { fields, accepted } = decodeParams(
      `policy ${name}`,
      params,
      { ...COMMON_POLICY_PARAMS, ...table },
      this,
    );
    // Learned parts are AST nodes with their own spans, not `Typed` scalars.
    const typed: Record<string, unknown> = {};
    for (const [field, t] of Object.entries(fields)) {
      const v = t.value as { kind?: string };
      typed[field] = v.kind === 'PolicyModule' ? v : t;
    }
    return {
      kind: 'Policy',
      loc: nodeSpan(this.file, cst),
      name,
      nameLoc,
      params: accepted,
      ...typed,
    } as A.PolicyDecl;
  }

  target(cst: C.TargetCstNode): A.TargetDecl | undefined {
    const word = cst.children.Word[0]!;
    const nameLoc = this.span(word);
    const params = this.params(cst.children.paramBlock?.[0]);
    if (!(TARGET_NAMES as readonly string[]).includes(word.image)) {
      const near = closestMatch(word.image, TARGET_NAMES);
      this.diagnostics.push(
        diagnostic(
          'OR2008',
          { name: word.image, known: TARGET_NAMES.join(', ') },
          { span: nameLoc, ...(near ? { suggestion: `did you mean '${near}'?` } : {}) },
        ),
      );
      return undefined;
    }
    const { fields, accepted } = decodeParams(`target ${word.image}`, params, TARGET_PARAMS, this);
    return {
      kind: 'Target',
      loc: nodeSpan(this.file, cst),
      name: word.image as A.TargetName,
      nameLoc,
      params: accepted,
      ...fields,
    };
  }

  sdk(cst: C.SdkCstNode): A.SdkDecl {
    const params = this.params(cst.children.paramBlock[0]);
    const { fields, accepted } = decodeParams('sdk', params, SDK_PARAMS, this);
    return { kind: 'Sdk', loc: nodeSpan(this.file, cst), params: accepted, ...fields };
  }

  decode(cst: C.DecodeCstNode): A.DecodeDecl {
    const params = this.params(cst.children.paramBlock[0]);
    const { fields, accepted } = decodeParams('decode', params, DECODE_PARAMS, this);
    return { kind: 'Decode', loc: nodeSpan(this.file, cst), params: accepted, ...fields };
  }

  calibration(cst: C.CalibrationCstNode): A.CalibrationDecl {
    const params = this.params(cst.children.paramBlock[0]);
    const { fields, accepted } = decodeParams('calibration', params, CALIBRATION_PARAMS, this);
    return { kind: 'Calibration', loc: nodeSpan(this.file, cst), params: accepted, ...fields };
  }
}

const CLASSIFIER_KINDS: Readonly<Record<string, A.Classifier['kind']>> = {
  linear: 'LinearHead',
  mlp: 'MlpHead',
  mamba: 'MambaHead',
  lm_head: 'LmHead',
};

function classifierName(c: A.Classifier): string {
  return Object.keys(CLASSIFIER_KINDS).find((name) => CLASSIFIER_KINDS[name] === c.kind)!;
}

// ---------------------------------------------------------------------------------------------- tables

const CLASSIFIER_PARAMS: Readonly<Record<string, ParamTable>> = {
  linear: { classes: numberValue },
  mlp: {
    hidden: numberValue,
    layers: numberValue,
    activation: enumValue('activation', ACTIVATIONS),
    classes: numberValue,
  },
  mamba: { d_state: numberValue, d_conv: numberValue, expand: numberValue, classes: numberValue },
  lm_head: {},
};

/**
 * A learned policy part: `mlp(...) weights ...` (an architecture and its weights) or a bare weights clause.
 * `architectures` lists the accepted heads; empty means weights only.
 */
function moduleValue(architectures: readonly string[]): Decoder<A.PolicyModule> {
  return (value, param, ctx) => {
    const expected =
      architectures.length === 0
        ? 'a weights clause (`weights "file" key "prefix"`)'
        : `${architectures.map((a) => `${a}(...)`).join(' or ')} followed by a weights clause`;
    const report = () => {
      ctx.diagnostics.push(
        diagnostic('OR2003', { name: param.name, expected, found: 'something else' }, { span: value.loc }),
      );
      return undefined;
    };
    if (value.kind === 'Weights') {
      if (architectures.length > 0 && !architectures.includes('linear')) return report();
      return { kind: 'PolicyModule', loc: value.loc, weights: value };
    }
    if (value.kind !== 'Call' || !architectures.includes(value.callee.value)) return report();
    const architecture = (ctx as Builder).classifier(value);
    if (!architecture) return undefined;
    return {
      kind: 'PolicyModule',
      loc: value.loc,
      architecture,
      ...(value.weights ? { weights: value.weights } : {}),
    };
  };
}

const threshold = { threshold: numberValue };

const COMMON_POLICY_PARAMS: ParamTable = { min_exit: numberValue };

export const POLICY_PARAMS: Readonly<Record<A.PolicyName, ParamTable>> = {
  pabee: { patience: numberValue, regression_threshold: numberValue },
  qexit: { q: numberValue, lambda: moduleValue(['mlp']) },
  pondernet: { lambda: moduleValue(['mlp']) },
  jei: { gates: moduleValue([]), ...threshold },
  mamba: {
    head: moduleValue(['mamba']),
    confidence: enumValue('confidence measure', CONFIDENCE_MEASURES),
    ...threshold,
  },
  learned: { classifier: moduleValue(['linear', 'mamba']), ...threshold },
  maxprob: threshold,
  entropy: { ...threshold, thresholds: numberListValue, normalized: booleanValue },
  margin: threshold,
};

const TARGET_PARAMS: ParamTable = {
  precision: enumValue<A.Precision>('precision', ['fp16', 'fp32']),
  form: enumValue<A.GraphForm>('graph form', ['chain', 'segmented']),
};

const SDK_PARAMS: ParamTable = {
  name: stringValue,
  runtime: enumValue<A.SdkRuntime>('SDK runtime', ['node', 'web', 'both']),
};

export const CACHE_STRATEGIES: readonly A.CacheStrategy[] = [
  'copy',
  'propagate',
  'recompute',
  'keep',
  'update',
];

const DECODE_PARAMS: ParamTable = {
  cache: enumValue<A.CacheStrategy>('cache strategy', CACHE_STRATEGIES),
  past: stringValue,
  present: stringValue,
};

const CALIBRATION_PARAMS: ParamTable = { dataset: pathValue, accuracy_budget: numberValue };

/** Builds the AST of a syntactically valid file. */
export function buildAst(
  cst: C.FileCstNode,
  source: string,
  comments: readonly IToken[],
  file: string,
  directory: string,
): { ast: A.RampFile; diagnostics: Diagnostic[] } {
  const builder = new Builder(file, directory);
  const ast = builder.file_(cst, source, comments);
  return { ast, diagnostics: builder.diagnostics };
}
