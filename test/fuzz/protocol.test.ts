// Fuzzing the Norm Lab's message validators (validateToWebview, validateFromWebview, validateState)
// and planFromWire. The oracle is independent of ajv: a small interpreter of the JSON Schema
// keywords src/generate/protocol-schema.ts uses, plus the two cross-field rules src/protocol.ts
// adds (buffer lengths). Valid messages are generated from the same schema, so the fuzzer follows
// the protocol as it grows; then one field of a valid message is mutated (removed, retyped, pushed
// past a limit, an extra key added), and fc.anything() throws everything else at the validators.
// fast-check, because "one field wrong" over every field of every message is a search space, and a
// shrunk counterexample names the field.
import fc from "fast-check";
import { describe, it } from "vitest";
import { protocolSchema } from "../../src/generate/protocol-schema";
import { planFromWire, validateFromWebview, validateState, validateToWebview, type WirePlan } from "../../src/protocol";
import { assertDeterministic, fuzz, note, PROTOTYPE_NAMES, reportCounts, useWatchdog } from "./harness";

useWatchdog();
reportCounts("protocol");

type Schema = Record<string, unknown>;
const ROOT = protocolSchema() as Schema & { $defs: Record<string, Schema> };
const ANNOTATIONS = new Set(["$schema", "$id", "title", "description", "$comment", "$defs"]);

function resolve(s: Schema): Schema {
  const ref = s.$ref as string | undefined;
  if (!ref) return s;
  const m = /^#\/\$defs\/(.+)$/.exec(ref);
  if (!m || !ROOT.$defs[m[1]]) throw new Error(`the oracle cannot resolve ${ref}`);
  return ROOT.$defs[m[1]];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof ArrayBuffer);

/** Does `v` satisfy `schema`? Each keyword as JSON Schema draft 7 defines it (numbers finite, as JSON's). */
function satisfies(schema: Schema, v: unknown): boolean {
  const s = resolve(schema);
  for (const [k, arg] of Object.entries(s)) {
    if (ANNOTATIONS.has(k) || k === "$ref" || k === "then") continue;
    const a = arg as never;
    const ok = ((): boolean => {
      switch (k) {
        case "type":
          if (a === "object") return isObject(v);
          if (a === "array") return Array.isArray(v);
          if (a === "string") return typeof v === "string";
          if (a === "boolean") return typeof v === "boolean";
          if (a === "number") return typeof v === "number" && Number.isFinite(v);
          if (a === "integer") return Number.isInteger(v);
          throw new Error(`the oracle does not know type ${String(a)}`);
        case "const":
          return v === a;
        case "enum":
          return (a as unknown[]).includes(v);
        case "required":
          return !isObject(v) || (a as string[]).every((key) => v[key] !== undefined);
        case "properties":
          return !isObject(v) || Object.entries(a as Record<string, Schema>).every(([key, sub]) => v[key] === undefined || satisfies(sub, v[key]));
        case "additionalProperties":
          if (a !== false) throw new Error("the oracle knows only additionalProperties: false");
          return !isObject(v) || Object.keys(v).every((key) => Object.hasOwn((s.properties ?? {}) as object, key));
        case "items":
          return !Array.isArray(v) || v.every((x) => satisfies(a, x));
        case "minItems":
          return !Array.isArray(v) || v.length >= a;
        case "maxItems":
          return !Array.isArray(v) || v.length <= a;
        case "maxLength":
          return typeof v !== "string" || v.length <= a;
        case "pattern":
          return typeof v !== "string" || new RegExp(a, "u").test(v);
        case "minimum":
          return typeof v !== "number" || v >= a;
        case "maximum":
          return typeof v !== "number" || v <= a;
        case "exclusiveMinimum":
          return typeof v !== "number" || v > a;
        case "anyOf":
          return (a as Schema[]).some((sub) => satisfies(sub, v));
        case "allOf":
          return (a as Schema[]).every((sub) => satisfies(sub, v));
        case "not":
          return !satisfies(a, v);
        case "if":
          return satisfies(a, v) ? s.then === undefined || satisfies(s.then as Schema, v) : true;
        case "arrayBuffer":
          return v instanceof ArrayBuffer;
        default:
          throw new Error(`the oracle does not know the keyword ${k}; teach it (test/fuzz/protocol.test.ts)`);
      }
    })();
    if (!ok) return false;
  }
  return true;
}

/** The rules src/protocol.ts checks after the schema: every buffer holds what its shape says. */
function crossFieldValid(m: unknown): boolean {
  const x = m as { type?: string; plan?: WirePlan; shape?: number[]; data?: ArrayBuffer };
  // A remote load names its folder by the Hub label (src/protocol.ts).
  const remote = (m as { remote?: { label?: unknown }; folder?: unknown }).remote;
  if (x.type === "load" && remote !== undefined && remote.label !== (m as { folder?: unknown }).folder) return false;
  if (x.type === "load") return x.plan!.tensors.every((t) => t.weight.byteLength === t.hidden * 4 && (t.bias === undefined || t.bias.byteLength === t.hidden * 4));
  if (x.type === "activations") return x.data!.byteLength === x.shape!.reduce((a, b) => a * b, 1) * 4;
  return true;
}

// ---- valid messages, generated from the schema ----

function arbitraryOf(schema: Schema): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  if (s.allOf) return fc.oneof(...(s.allOf as Schema[]).map((c) => arbitraryOf(c.then as Schema)));
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...(s.enum as unknown[]));
  if (s.arrayBuffer) return fc.integer({ min: 0, max: 8 }).map((n) => new ArrayBuffer(n * 4));
  if (s.anyOf) return fc.oneof(...(s.anyOf as Schema[]).map((b) => (b.not ? fc.constant(undefined) : arbitraryOf(b))));
  switch (s.type) {
    case "object": {
      const props = (s.properties ?? {}) as Record<string, Schema>;
      const required = (s.required ?? []) as string[];
      return fc.record(Object.fromEntries(Object.entries(props).map(([k, sub]) => [k, arbitraryOf(sub)])), { requiredKeys: required });
    }
    case "array":
      return fc.array(arbitraryOf(s.items as Schema), { minLength: (s.minItems as number) ?? 0, maxLength: Math.min((s.maxItems as number) ?? 3, 3) });
    case "string":
      // A pattern's strings come from the pattern itself (the Hub label `hf://owner/repo@commit`).
      if (s.pattern) return fc.stringMatching(new RegExp(s.pattern as string, "u")).filter((x) => x.length <= ((s.maxLength as number) ?? Infinity));
      return fc.oneof({ weight: 9, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 1, arbitrary: fc.constant("x".repeat((s.maxLength as number) ?? 100)) });
    case "boolean":
      return fc.boolean();
    case "integer": {
      const min = (s.minimum as number) ?? -1000;
      const max = (s.maximum as number) ?? 1000;
      return fc.oneof({ weight: 8, arbitrary: fc.integer({ min, max: Math.min(max, min + 16) }) }, { weight: 1, arbitrary: fc.constantFrom(min, max) }, { weight: 1, arbitrary: fc.integer({ min, max }) });
    }
    case "number": {
      const min = (s.minimum as number) ?? (s.exclusiveMinimum as number) ?? -1e9;
      return fc.double({ min, max: 1e9, noNaN: true, noDefaultInfinity: true }).filter((x) => satisfies(s, x));
    }
  }
  throw new Error(`no generator for ${JSON.stringify(s).slice(0, 80)}`);
}

/** Makes a schema-valid message satisfy the cross-field rules, keeping buffers small. */
function fixUp(m: unknown): unknown {
  const x = m as { type?: string; plan?: WirePlan; shape?: number[]; data?: ArrayBuffer };
  if (x.type === "load") {
    const r = m as { remote?: { label: string }; folder: string };
    if (r.remote) r.folder = r.remote.label;
    for (const t of x.plan!.tensors) {
      t.hidden = Math.min(t.hidden, 64);
      t.weight = new ArrayBuffer(t.hidden * 4);
      if (t.bias !== undefined) t.bias = new ArrayBuffer(t.hidden * 4);
    }
  }
  if (x.type === "activations") {
    x.shape = x.shape!.map((d) => d % 4);
    x.data = new ArrayBuffer(x.shape.reduce((a, b) => a * b, 1) * 4);
  }
  return m;
}

const TARGETS = [
  { name: "toWebview", schema: ROOT.$defs.toWebview, validate: validateToWebview },
  { name: "fromWebview", schema: ROOT.$defs.fromWebview, validate: validateFromWebview },
  { name: "state", schema: ROOT.$defs.state, validate: validateState },
] as const;
type Target = (typeof TARGETS)[number];
// By name, so a counterexample prints the name rather than the schema.
const target = fc.constantFrom(...TARGETS.map((t) => t.name)).map(
  (name) => TARGETS.find((t) => t.name === name)!,
  (t) => (t as Target).name,
);
const valid = (t: Target) => arbitraryOf(t.schema).map(fixUp);

/** The oracle's verdict. */
const expected = (t: Target, m: unknown) => satisfies(t.schema, m) && crossFieldValid(m);

/** Validates, checks the verdict is the oracle's, and that an accepted plan converts. */
function check(t: Target, m: unknown): void {
  const v = assertDeterministic(t.name, () => t.validate(m));
  if (v.ok) {
    if (v.value !== m) throw new Error(`${t.name} accepted but returned a different value`);
    note(`${t.name} accepted`);
  } else if (typeof v.error !== "string" || !v.error) throw new Error(`${t.name} rejected without a reason`);
  const want = expected(t, m);
  if (v.ok !== want) throw new Error(`${t.name}: the validator says ${v.ok ? "valid" : `invalid (${(v as { error: string }).error})`}, the schema says ${want ? "valid" : "invalid"}`);
  if (v.ok && t.name === "toWebview" && (m as { type: string }).type === "load") {
    const plan = planFromWire((m as { plan: WirePlan }).plan);
    for (const x of plan.tensors) {
      if (!(x.weight instanceof Float32Array) || x.weight.length !== x.hidden) throw new Error(`planFromWire: ${x.name} has ${x.weight.length} weights, not ${x.hidden}`);
      if (x.bias && x.bias.length !== x.hidden) throw new Error(`planFromWire: ${x.name} has ${x.bias.length} biases, not ${x.hidden}`);
    }
  }
}

// ---- one field mutated ----

type Path = Array<string | number>;

const isPlain = (v: unknown): v is Record<string, unknown> => isObject(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v));

/** Every place in a message: the root, each key of a plain object, each array element. */
function paths(v: unknown, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (isPlain(v)) for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

const WRONG = [null, undefined, "", "x", 0, -1, 1.5, 2 ** 32, Number.NaN, Infinity, -Infinity, true, [], {}, [1], new ArrayBuffer(4), new ArrayBuffer(3), new Float32Array(1), "x".repeat(65537), Array(300).fill("n")];
const mutation = fc.record({
  pick: fc.nat(),
  kind: fc.constantFrom("set", "set", "set", "delete", "extra-key"),
  value: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...WRONG) }, { weight: 1, arbitrary: fc.anything() }),
  key: fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom(...PROTOTYPE_NAMES, "type", "bias")),
});

function mutate(m: unknown, op: { pick: number; kind: string; value: unknown; key: string }): unknown {
  const all = paths(m);
  const path = all[op.pick % all.length];
  let parent = m as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  // A copy: the same value object may be drawn again, and a later extra key must not change it.
  const value = (() => {
    try {
      return structuredClone(op.value);
    } catch {
      return op.value;
    }
  })();
  if (!path.length) return op.kind === "set" ? value : m;
  if (op.kind === "set") parent[last] = value;
  else if (op.kind === "delete") {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else {
    const target = parent[last];
    if (isPlain(target)) Object.defineProperty(target, op.key, { value, enumerable: true, writable: true, configurable: true });
  }
  return m;
}

describe("fuzz: webview message protocol", () => {
  it("valid messages, generated from the schema, are accepted and convert", () => {
    fuzz("protocol/valid", 1, [target.chain((t) => fc.tuple(fc.constant(t), valid(t)))], ([t, m]) => {
      if (!t.validate(m).ok) throw new Error(`${t.name} rejected a valid message: ${(t.validate(m) as { error: string }).error}`);
      check(t, m);
    });
  });

  it("one field removed, retyped, pushed past a limit, or an extra key: the verdict is the schema's", () => {
    fuzz("protocol/near-valid", 3, [target.chain((t) => fc.tuple(fc.constant(t), valid(t), fc.array(mutation, { minLength: 1, maxLength: 2 })))], ([t, m, ops]) => {
      // A copy: fast-check may hand the same value to a shrinking run.
      let x = structuredClone(m);
      for (const op of ops) x = mutate(x, op);
      check(t, x);
    });
  });

  it("anything at all: no exception, and nothing invalid accepted", () => {
    const anything = fc.anything({ withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withObjectString: true, withTypedArray: true, withSparseArray: true, withUnicodeString: true });
    fuzz("protocol/anything", 2, [target, fc.oneof(anything, fc.record({ type: fc.constantFrom("load", "error", "ready", "result", "activations", "readActivations", "showProblems", "__proto__"), plan: anything, message: anything }, { requiredKeys: ["type"] }))], (t, m) => check(t, m));
  });
});
