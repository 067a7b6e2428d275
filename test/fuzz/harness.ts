// Shared machinery of the fuzz suite: run counts and seed from the environment, a per-case hang
// detector, a watchdog for cases that never return, and the invariants every entry point owes:
// findings inside their file, the same output twice, safe fixes that settle in one application.
//
// NORMLINT_FUZZ_RUNS: the runs of a property of weight 1 (default 1000); each property scales it by
// its weight, so cheap targets do more cases than the Python parser in the same time.
// NORMLINT_FUZZ_SEED: the seed (default fixed, so CI is reproducible); `npm run fuzz` picks a fresh one.
// A failure prints fast-check's seed and path; rerun with that seed to replay it.
import { isDeepStrictEqual } from "node:util";
import { Worker } from "node:worker_threads";
import fc from "fast-check";
import { afterAll, beforeAll } from "vitest";
import type { Finding } from "../../src/engine/types";

export const BASE_RUNS = envInteger("NORMLINT_FUZZ_RUNS", 1000);
export const SEED = envInteger("NORMLINT_FUZZ_SEED", 20261123);

function envInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a whole number, not ${JSON.stringify(raw)}`);
  return n;
}

/** A case slower than this fails as a hang: a detector of runaway loops, not a speed test. */
export const CASE_LIMIT_MS = 5000;
/** A case that has not returned after this long is killed by the watchdog (it can never fail on its own). */
const WATCHDOG_MS = 30_000;

export function runs(weight: number): number {
  return Math.max(1, Math.round(BASE_RUNS * weight));
}

// The watchdog: a synchronous infinite loop never yields to a timer, so the hang check after each
// case cannot fire. A worker thread shares a case counter with this thread and kills the process,
// naming the property and case, when one case keeps it busy past WATCHDOG_MS; vitest then reports
// the test file as failed instead of waiting forever.
const shared = new Int32Array(new SharedArrayBuffer(8 + 256));
const label = new Uint8Array(shared.buffer, 8);
let watchdog: Worker | undefined;

const WATCHDOG_SOURCE = `
const { workerData } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const shared = new Int32Array(workerData.buffer);
const label = new Uint8Array(workerData.buffer, 8);
let last = -1, since = Date.now();
setInterval(() => {
  const n = Atomics.load(shared, 0), busy = Atomics.load(shared, 1);
  if (!busy || n !== last) { last = n; since = Date.now(); return; }
  if (Date.now() - since < workerData.limit) return;
  const name = new TextDecoder().decode(label.slice(0, label.indexOf(0) < 0 ? label.length : label.indexOf(0)));
  writeSync(2, "\\nnormlint fuzz: case " + n + " of \\"" + name + "\\" has not returned after " + workerData.limit / 1000 + " s (seed " + workerData.seed + "); killing the test process\\n");
  process.kill(process.pid, "SIGKILL");
}, 500);
`;

/** Starts the watchdog for this test file (call at the top level of each fuzz test file). */
export function useWatchdog(): void {
  beforeAll(() => {
    watchdog = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { buffer: shared.buffer, limit: WATCHDOG_MS, seed: SEED } });
    watchdog.unref();
  });
  afterAll(async () => {
    await watchdog?.terminate();
    watchdog = undefined;
  });
}

function setLabel(name: string): void {
  Atomics.store(shared, 0, 0);
  label.fill(0);
  label.set(new TextEncoder().encode(name).subarray(0, label.length - 1));
}

function startCase(): number {
  Atomics.add(shared, 0, 1);
  Atomics.store(shared, 1, 1);
  return performance.now();
}

function endCase(t0: number): void {
  Atomics.store(shared, 1, 0);
  const ms = performance.now() - t0;
  if (ms > CASE_LIMIT_MS) throw new Error(`one case took ${ms.toFixed(0)} ms (limit ${CASE_LIMIT_MS} ms): treated as a hang`);
}

const counts = new Map<string, number>();

/** Runs a synchronous property `runs(weight)` times under the hang detector. */
export function fuzz<Ts extends [unknown, ...unknown[]]>(name: string, weight: number, arbs: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> }, check: (...args: Ts) => void): void {
  setLabel(name);
  const numRuns = runs(weight);
  const prop = fc.property(...arbs, (...args: Ts) => {
    const t0 = startCase();
    try {
      check(...args);
    } finally {
      endCase(t0);
    }
  });
  fc.assert(prop, { numRuns, seed: SEED });
  counts.set(name, numRuns);
}

/** The same for an asynchronous property. */
export async function fuzzAsync<Ts extends [unknown, ...unknown[]]>(name: string, weight: number, arbs: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> }, check: (...args: Ts) => Promise<void>): Promise<void> {
  setLabel(name);
  const numRuns = runs(weight);
  const prop = fc.asyncProperty(...arbs, async (...args: Ts) => {
    const t0 = startCase();
    try {
      await check(...args);
    } finally {
      endCase(t0);
    }
  });
  await fc.assert(prop, { numRuns, seed: SEED });
  counts.set(name, numRuns);
}

const notes = new Map<string, number>();

/** Counts an outcome worth seeing in the log (how many cases had a fix to check, say). */
export function note(outcome: string): void {
  notes.set(outcome, (notes.get(outcome) ?? 0) + 1);
}

/**
 * One line a file: how many cases each property ran and how often the noted outcomes came up (a
 * fuzzer whose inputs never reach a fix proves nothing about fixes).
 */
export function reportCounts(file: string): void {
  afterAll(() => {
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const seen = [...notes].map(([k, n]) => `${k} ${n}`).join(", ");
    console.log(`fuzz ${file}: ${total} cases, seed ${SEED}; ${[...counts].map(([k, n]) => `${k} ${n}`).join(", ")}${seen ? `; outcomes: ${seen}` : ""}`);
  });
}

// ---- invariants ----

/** `[start, end)` is a range of integers inside a text of `length` units. */
export function assertRange(what: string, start: number, end: number, length: number): void {
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= length)) {
    throw new Error(`${what}: range [${start}, ${end}) is not inside [0, ${length}]`);
  }
}

/**
 * Every finding's range, and every edit of its fixes, lies inside the text it refers to.
 * `lengthOf` gives that text's length for a finding (its file, or a notebook cell), undefined when
 * the finding refers to no text the test knows (then the range is still checked to be well formed).
 */
export function assertFindingsInside(findings: Finding[], lengthOf: (f: Finding) => number | undefined): void {
  for (const f of findings) {
    const length = lengthOf(f) ?? Number.MAX_SAFE_INTEGER;
    const what = `${f.file}: ${f.rule}/${f.messageId}`;
    assertRange(what, f.start, f.end, length);
    for (const fix of f.fixes) for (const e of fix.edits) assertRange(`${what} fix "${fix.title}"`, e.start, e.end, length);
    if (f.message.includes("internal error")) throw new Error(`${what}: a rule threw: ${f.message}`);
  }
}

/** `run` gives the same result twice (deep equality, NaN equal to NaN). */
export function assertDeterministic<T>(what: string, run: () => T): T {
  const a = run();
  const b = run();
  if (!isDeepStrictEqual(a, b)) throw new Error(`${what}: two runs on the same input differ:\n${JSON.stringify(a)?.slice(0, 2000)}\n${JSON.stringify(b)?.slice(0, 2000)}`);
  return a;
}

/** The same for an asynchronous run. */
export async function assertDeterministicAsync<T>(what: string, run: () => Promise<T>): Promise<T> {
  const a = await run();
  const b = await run();
  if (!isDeepStrictEqual(a, b)) throw new Error(`${what}: two runs on the same input differ:\n${JSON.stringify(a)?.slice(0, 2000)}\n${JSON.stringify(b)?.slice(0, 2000)}`);
  return a;
}

export function hasSafeFix(findings: Finding[]): boolean {
  return findings.some((f) => f.fixes.some((x) => x.safe && x.edits.length > 0));
}

/**
 * Applying all safe fixes twice equals applying them once. `fix` returns the fixed text, or
 * undefined when nothing changed (the engine's convention).
 */
export function assertFixIdempotent(what: string, text: string, fix: (text: string) => string | undefined): string {
  note("fixed");
  const once = fix(text) ?? text;
  const twice = fix(once) ?? once;
  if (twice !== once) throw new Error(`${what}: a second fix pass changed the text again:\n--- input\n${text}\n--- once\n${once}\n--- twice\n${twice}`);
  return once;
}

// ---- text mutation ----

/** Names that an object used as a table answers for without holding them: lookups by user text must not. */
export const PROTOTYPE_NAMES = ["__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "__defineGetter__", "isPrototypeOf"];

/** One edit of a text: positions are taken modulo its length when applied. */
export type TextMutation =
  | { kind: "insert"; at: number; text: string }
  | { kind: "delete"; at: number; length: number }
  | { kind: "replace"; at: number; text: string }
  | { kind: "truncate"; at: number }
  | { kind: "duplicate"; at: number; length: number }
  | { kind: "nest"; at: number; depth: number; open: string; close: string };

/**
 * Mutations of a text. `tokens` are strings worth inserting for this format (brackets, keywords,
 * NaN); random unicode (lone surrogates included) and control characters come on top.
 */
export function textMutations(tokens: string[], maxLength = 6): fc.Arbitrary<TextMutation[]> {
  const piece = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...tokens) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 4 }) },
    { weight: 1, arbitrary: fc.constantFrom("\u0000", "\r", "\r\n", "\t", "\uFEFF", "\uD800", "\uDC00", "\u2028", "\u00A0", "é", "😀", "\\", "\\u", "\\uD83D") },
  );
  const at = fc.nat();
  return fc.array(
    fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant("insert" as const), at, text: piece }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant("delete" as const), at, length: fc.integer({ min: 1, max: 12 }) }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant("replace" as const), at, text: piece }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("duplicate" as const), at, length: fc.integer({ min: 1, max: 80 }) }) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant("nest" as const),
          at,
          depth: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(511, 512, 513, 3000)),
          open: fc.constantFrom("[", "{\"a\":", "("),
          close: fc.constantFrom("]", "}", ")"),
        }),
      },
    ),
    { minLength: 1, maxLength },
  );
}

export function mutateText(text: string, ops: TextMutation[]): string {
  let t = text;
  for (const op of ops) {
    const i = op.at % (t.length + 1);
    switch (op.kind) {
      case "insert":
        t = t.slice(0, i) + op.text + t.slice(i);
        break;
      case "delete":
        t = t.slice(0, i) + t.slice(i + op.length);
        break;
      case "replace":
        t = t.slice(0, i) + op.text + t.slice(i + op.text.length);
        break;
      case "truncate":
        t = t.slice(0, i);
        break;
      case "duplicate":
        t = t.slice(0, i + op.length) + t.slice(i, i + op.length) + t.slice(i + op.length);
        break;
      case "nest":
        t = t.slice(0, i) + op.open.repeat(op.depth) + t.slice(i, i + 8) + op.close.repeat(op.depth) + t.slice(i + 8);
        break;
    }
  }
  return t;
}
