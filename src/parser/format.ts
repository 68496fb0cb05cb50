/**
 * The canonical `.ramp` layout: two-space indents, one item per line inside structural blocks, short
 * parameter blocks on one line, one blank line kept where the source had any. Comments stay where they
 * were: full-line comments before the item that followed them, trailing comments after their line's item.
 * Formatting refuses files with errors, since their AST does not hold everything the text says.
 */
import { readFile } from 'node:fs/promises';
import { type Diagnostic, diagnostic, hasErrors, type SourceSpan } from '../diagnostics/index.js';
import type * as A from './ast.js';
import { parseRamp } from './parse.js';
import { encodeString } from './strings.js';

const MAX_INLINE = 100;

class Printer {
  private readonly out: string[] = [];
  private depth = 0;
  private next = 0;
  /** Source line of the last thing printed, to keep (at most one) blank line where the source had one. */
  private lastLine = 0;

  constructor(private readonly comments: readonly A.Comment[]) {}

  private push(text: string, sourceLine: number): void {
    if (
      this.lastLine > 0 &&
      sourceLine > this.lastLine + 1 &&
      this.out.length > 0 &&
      !this.out[this.out.length - 1]!.endsWith('{')
    ) {
      this.out.push('');
    }
    this.out.push(`${'  '.repeat(this.depth)}${text}`);
  }

  /** Full-line comments that start before `offset`. */
  flushBefore(offset: number): void {
    while (this.next < this.comments.length && this.comments[this.next]!.loc.start.offset < offset) {
      const c = this.comments[this.next++]!;
      this.push(`#${c.text.trimEnd()}`, c.loc.start.line);
      this.lastLine = c.loc.start.line;
    }
  }

  /** Whether a comment lies inside the span (so the item cannot be printed on one line). */
  hasCommentIn(span: SourceSpan): boolean {
    for (let k = this.next; k < this.comments.length; k++) {
      const at = this.comments[k]!.loc.start.offset;
      if (at >= span.end.offset) return false;
      if (at >= span.start.offset) return true;
    }
    return false;
  }

  private trailing(line: number): string {
    const c = this.comments[this.next];
    if (c && c.loc.start.line === line) {
      this.next++;
      return ` #${c.text.trimEnd()}`;
    }
    return '';
  }

  /** One line for an item spanning `loc` (a trailing comment on its last line joins it). */
  line(loc: SourceSpan, text: string): void {
    this.flushBefore(loc.start.offset);
    this.push(text, loc.start.line);
    this.out[this.out.length - 1] += this.trailing(loc.end.line);
    this.lastLine = loc.end.line;
  }

  /** Opens a block; a comment on the header's line belongs to the header unless a child starts before it. */
  open(loc: SourceSpan, header: string, firstChild?: SourceSpan): void {
    this.flushBefore(loc.start.offset);
    this.push(`${header} {`, loc.start.line);
    const comment = this.comments[this.next];
    const childFirst = firstChild && comment && firstChild.start.offset < comment.loc.start.offset;
    if (!childFirst) this.out[this.out.length - 1] += this.trailing(loc.start.line);
    this.lastLine = loc.start.line;
    this.depth++;
  }

  close(loc: SourceSpan): void {
    this.flushBefore(loc.end.offset);
    this.depth--;
    this.out.push(`${'  '.repeat(this.depth)}}${this.trailing(loc.end.line)}`);
    this.lastLine = loc.end.line;
  }

  blankLine(): void {
    if (this.out.length > 0 && this.out[this.out.length - 1] !== '') this.out.push('');
  }

  text(): string {
    this.flushBefore(Number.POSITIVE_INFINITY);
    return `${this.out.join('\n')}\n`;
  }
}

// ---------------------------------------------------------------------------------------------- values

function value(v: A.Value): string {
  switch (v.kind) {
    case 'String':
      return encodeString(v.value);
    case 'Number':
      return v.raw;
    case 'Name':
      return v.value;
    case 'List':
      return `[${v.items.map(value).join(', ')}]`;
    case 'Call': {
      const args = v.args.length > 0 ? `(${v.args.map(param).join(', ')})` : '';
      return `${v.callee.value}${args}${v.weights ? ` ${weightsInline(v.weights)}` : ''}`;
    }
    case 'Weights':
      return weightsInline(v);
  }
}

function param(p: A.Param): string {
  return `${p.name}: ${value(p.value)}`;
}

function weightsInline(w: A.WeightsDecl): string {
  const file = encodeString(w.file.written);
  const short = w.keys.length === 1 && w.keys[0]!.component === undefined;
  if (short) return `weights ${file} key ${encodeString(w.keys[0]!.template.value)}`;
  return `weights ${file} { ${w.keys.map((k) => `${k.component}: ${encodeString(k.template.value)}`).join(', ')} }`;
}

function typedArgs(fields: readonly [string, A.Typed<unknown> | undefined][]): string {
  const shown = fields.filter((f): f is [string, A.Typed<unknown>] => f[1] !== undefined);
  return shown.length > 0 ? `(${shown.map(([, t]) => param(t.param)).join(', ')})` : '';
}

function classifier(c: A.Classifier): string {
  switch (c.kind) {
    case 'LinearHead':
      return `linear${typedArgs([['classes', c.classes]])}`;
    case 'MlpHead':
      return `mlp${typedArgs([
        ['hidden', c.hidden],
        ['layers', c.layers],
        ['activation', c.activation],
        ['classes', c.classes],
      ])}`;
    case 'MambaHead':
      return `mamba${typedArgs([
        ['d_state', c.dState],
        ['d_conv', c.dConv],
        ['expand', c.expand],
        ['classes', c.classes],
      ])}`;
    case 'LmHead':
      return 'lm_head';
  }
}

function selection(s: A.ExitSelection): string {
  switch (s.kind) {
    case 'ExitAll':
      return 'all';
    case 'ExitEvery':
      return `every ${s.step.raw}`;
    case 'ExitRange':
      return `${s.from.raw}..${s.to.raw}`;
    case 'ExitList':
      return s.layers.length === 1 ? s.layers[0]!.raw : `[${s.layers.map((l) => l.raw).join(', ')}]`;
  }
}

// ---------------------------------------------------------------------------------------------- blocks

function paramBlock(p: Printer, loc: SourceSpan, header: string, params: readonly A.Param[]): void {
  if (params.length === 0) {
    p.line(loc, header);
    return;
  }
  const inline = `${header} { ${params.map(param).join(', ')} }`;
  if (inline.length <= MAX_INLINE && !p.hasCommentIn(loc)) {
    p.line(loc, inline);
    return;
  }
  p.open(loc, header, params[0]?.loc);
  for (const q of params) p.line(q.loc, param(q));
  p.close(loc);
}

function weightsBlock(p: Printer, w: A.WeightsDecl): void {
  const inline = weightsInline(w);
  if (inline.length <= MAX_INLINE && !p.hasCommentIn(w.loc)) {
    p.line(w.loc, inline);
    return;
  }
  if (w.keys.length === 1 && w.keys[0]!.component === undefined) {
    p.line(w.loc, inline);
    return;
  }
  p.open(w.loc, `weights ${encodeString(w.file.written)}`, w.keys[0]?.loc);
  for (const k of w.keys) p.line(k.loc, `${k.component}: ${encodeString(k.template.value)}`);
  p.close(w.loc);
}

function backbone(p: Printer, b: A.BackboneDecl): void {
  const header = `backbone ${encodeString(b.path.written)}`;
  const item = (m: A.BackboneMember): string => {
    if (m.kind === 'IoNames')
      return `${m.direction} [${m.names.map((n) => encodeString(n.value)).join(', ')}]`;
    const s = m.spec;
    if (s.kind === 'AutoLayers') return 'layers auto';
    if (s.kind === 'PatternLayers') return `layers ${encodeString(s.pattern.value)}`;
    return `layers cuts [${s.cuts.map((c) => encodeString(c.value)).join(', ')}]`;
  };
  if (b.members.length === 0) {
    p.line(b.loc, header);
    return;
  }
  const inline = `${header} { ${b.members.map(item).join(' ')} }`;
  if (b.members.length === 1 && inline.length <= MAX_INLINE && !p.hasCommentIn(b.loc)) {
    p.line(b.loc, inline);
    return;
  }
  p.open(b.loc, header, b.members[0]?.loc);
  for (const m of b.members) p.line(m.loc, item(m));
  p.close(b.loc);
}

function exits(p: Printer, e: A.ExitsDecl): void {
  const from = e.fromOutputs ? `from outputs ${encodeString(e.fromOutputs.value)}` : '';
  const header =
    e.fromOutputs && e.selection.kind === 'ExitAll'
      ? `exits ${from}`
      : `exits after ${selection(e.selection)}${from ? ` ${from}` : ''}`;
  if (e.members.length === 0) {
    p.line(e.loc, header);
    return;
  }
  p.open(e.loc, header, e.members[0]?.loc);
  for (const m of e.members) {
    if (m.kind === 'Pool') p.line(m.loc, `pool ${m.mode}`);
    else if (m.kind === 'Head')
      p.line(
        m.loc,
        `head ${m.pooler ? 'pooler + ' : ''}${m.norm ? `${m.norm.norm} + ` : ''}${classifier(m.classifier)}`,
      );
    else weightsBlock(p, m);
  }
  p.close(e.loc);
}

function member(p: Printer, m: A.ModelMember): void {
  switch (m.kind) {
    case 'Backbone':
      backbone(p, m);
      return;
    case 'Exits':
      exits(p, m);
      return;
    case 'Policy':
      paramBlock(p, m.loc, `policy ${m.name}`, m.params);
      return;
    case 'Target':
      paramBlock(p, m.loc, `target ${m.name}`, m.params);
      return;
    case 'Sdk':
      paramBlock(p, m.loc, 'sdk', m.params);
      return;
    case 'Calibration':
      paramBlock(p, m.loc, 'calibration', m.params);
      return;
    case 'Decode':
      paramBlock(p, m.loc, 'decode', m.params);
      return;
  }
}

/** Prints a parsed file canonically. */
export function printRamp(file: A.RampFile): string {
  const p = new Printer(file.comments);
  for (const [k, model] of file.models.entries()) {
    if (k > 0) p.blankLine();
    p.open(model.loc, `model ${model.name.value}`, model.members[0]?.loc);
    for (const m of model.members) member(p, m);
    p.close(model.loc);
  }
  return p.text();
}

export interface FormatResult {
  /** The formatted text; absent when the file has errors. */
  readonly text?: string;
  readonly diagnostics: Diagnostic[];
}

/** Canonical text of a `.ramp` source, keeping comments; idempotent. */
export function formatRamp(source: string, file: string): FormatResult {
  const parsed = parseRamp(source, file);
  if (!parsed.ast || hasErrors(parsed.diagnostics)) return { diagnostics: parsed.diagnostics };
  if (parsed.ast.models.length === 0 && parsed.ast.comments.length === 0)
    return { text: '', diagnostics: parsed.diagnostics };
  return { text: printRamp(parsed.ast), diagnostics: parsed.diagnostics };
}

/** `offramp fmt FILE`: reads and formats; `changed` says whether the file differs from its canonical form. */
export async function formatFile(path: string): Promise<FormatResult & { readonly changed?: boolean }> {
  let source: string;
  try {
    source = await readFile(path, 'utf8');
  } catch (error) {
    return { diagnostics: [diagnostic('OR7001', { file: path, reason: (error as Error).message })] };
  }
  const result = formatRamp(source, path);
  return result.text === undefined ? result : { ...result, changed: result.text !== source };
}
