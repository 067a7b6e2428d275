// Findings (UTF-16 offsets into a text) to editor terms (0-based lines and characters): diagnostics,
// text edits, workspace edits. Pure: the docs link and the file -> uri mapping are passed in.
import type { Finding, Fix, TextEdit } from "../engine/types";
import type { Diag, Edit, Position, Range, RelatedInfo, Uri } from "./types";

/** Offsets to positions in one text. Lines end at `\n` (a `\r` before it stays on the line, as VS Code counts). */
export class Positions {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  position(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - this.starts[lo] };
  }

  range(start: number, end: number): Range {
    return { start: this.position(start), end: this.position(Math.max(start, end)) };
  }

  offset(p: Position): number {
    if (p.line >= this.starts.length) return this.text.length;
    const lineStart = this.starts[Math.max(0, p.line)];
    const lineEnd = p.line + 1 < this.starts.length ? this.starts[p.line + 1] - 1 : this.text.length;
    return Math.min(lineStart + Math.max(0, p.character), lineEnd);
  }
}

export interface TranslateOptions {
  uri: Uri;
  /** Link of a rule's documentation page. */
  docsUrl(rule: string): string;
  /** The uri of a file a finding's related location names (a display path), if known. */
  uriOf?(file: string): Uri | undefined;
  /** Positions in another file's text, when it is text (related locations in a checkpoint are 0:0). */
  positionsOf?(uri: Uri): Positions | undefined;
}

const ZERO: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

export function toDiag(f: Finding, pos: Positions, opts: TranslateOptions): Diag {
  const related: RelatedInfo[] = [];
  for (const r of f.related ?? []) {
    const uri = opts.uriOf?.(r.file);
    if (!uri) continue;
    const p = opts.positionsOf?.(uri);
    related.push({ uri, range: p ? p.range(r.start, r.end) : ZERO, message: r.message });
  }
  return {
    range: pos.range(f.start, f.end),
    message: f.message,
    severity: f.severity,
    source: "normlint",
    code: { value: f.code, target: opts.docsUrl(f.rule) },
    related,
    tags: f.rule === "unused-suppression" ? ["unnecessary"] : [],
    finding: f,
  };
}

export function fixToEdits(fix: Fix, pos: Positions, uri: Uri): Edit[] {
  return fix.edits.map((e) => ({ uri, range: pos.range(e.start, e.end), newText: e.text }));
}

/**
 * The safe fixes of a set of findings as one non-overlapping edit list (the first fix of two that
 * overlap wins; the next lint offers the other), as ESLint's fix-all does in one pass.
 */
export function safeEdits(findings: Finding[]): TextEdit[] {
  const all = findings.flatMap((f) => f.fixes.filter((x) => x.safe)).sort((a, b) => firstStart(a) - firstStart(b));
  const taken: TextEdit[] = [];
  for (const fix of all) {
    const overlaps = fix.edits.some((e) => taken.some((t) => (e.start < t.end && t.start < e.end) || (e.start === t.start && e.end === t.end)));
    if (!overlaps) taken.push(...fix.edits);
  }
  return taken.sort((a, b) => a.start - b.start);
}

function firstStart(fix: Fix): number {
  return Math.min(...fix.edits.map((e) => e.start));
}

export function comparePositions(a: Position, b: Position): number {
  return a.line - b.line || a.character - b.character;
}

/** Do two ranges overlap or touch? (A cursor at a diagnostic's edge counts, as VS Code's lightbulb does.) */
export function rangesTouch(a: Range, b: Range): boolean {
  return comparePositions(a.start, b.end) <= 0 && comparePositions(b.start, a.end) <= 0;
}

/**
 * The smallest single edit that turns `before` into `after` (common prefix and suffix kept), so an
 * editor keeps the cursor and undo stays small.
 */
export function minimalEdit(before: string, after: string): TextEdit | undefined {
  if (before === after) return undefined;
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let endB = before.length;
  let endA = after.length;
  while (endB > start && endA > start && before.charCodeAt(endB - 1) === after.charCodeAt(endA - 1)) {
    endB--;
    endA--;
  }
  return { start, end: endB, text: after.slice(start, endA) };
}
