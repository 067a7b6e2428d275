// Small pure helpers shared by rules and adapters.

/**
 * Damerau-Levenshtein (optimal string alignment) distance, capped: returns cap + 1 as soon as every
 * cell of a row exceeds the cap. Three reused rows, no allocation per call: it runs for every key.
 */
let rowA = new Int32Array(64);
let rowB = new Int32Array(64);
let rowC = new Int32Array(64);
export function editDistance(a: string, b: string, cap = 8): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const cols = b.length + 1;
  if (rowA.length < cols) [rowA, rowB, rowC] = [new Int32Array(cols * 2), new Int32Array(cols * 2), new Int32Array(cols * 2)];
  let prev2 = rowA;
  let prev = rowB;
  let cur = rowC;
  for (let j = 0; j < cols; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j < cols; j++) {
      const bj = b.charCodeAt(j - 1);
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ai === bj ? 0 : 1));
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj) v = Math.min(v, prev2[j - 2] + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > cap) return cap + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return Math.min(prev[cols - 1], cap + 1);
}

/** The candidate closest to `word` within `maxDistance`, ties broken by candidate order. */
export function closest(word: string, candidates: Iterable<string>, maxDistance: number): string | undefined {
  let best: string | undefined;
  let bestD = maxDistance + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase(), maxDistance);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

/** Numbers as a config author writes them: 1e-6, 1e-5, 0.001, 1.5625e-7. */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "Infinity" : "-Infinity";
  if (n !== 0 && Math.abs(n) < 1e-3) return n.toExponential().replace(/\.?0+e/, "e").replace("e+", "e");
  return String(n);
}

export function formatValue(v: unknown): string {
  return typeof v === "number" ? formatNumber(v) : JSON.stringify(v) ?? String(v);
}

/** 1-based line and column (UTF-16 units, as ESLint reports) from offsets. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo] + 1 };
  }
  lineText(text: string, line: number): string {
    const start = this.starts[line - 1] ?? text.length;
    const end = this.starts[line] ?? text.length;
    return text.slice(start, end).replace(/\r?\n$/, "");
  }
}

/**
 * A lookup table keyed by names that come from user input (config keys, Python identifiers, GGUF
 * metadata): without a prototype, so `constructor`, `toString` or `__proto__` is no key of it.
 */
export function table<T>(entries: Record<string, T>): Readonly<Record<string, T>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, T>, entries));
}

/**
 * The 1-based line of a character offset, for messages that name another line of the file ("line 12"):
 * one scan up to the offset, where a LineIndex (many lookups in one text) would index the whole file.
 */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}
