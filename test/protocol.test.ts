// The Norm Lab's messages are validated on both sides by ajv-compiled validators generated from
// src/generate/protocol-schema.ts: real messages pass, malformed ones fail with a sentence that
// names the field.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROTOCOL_LIMITS } from "../src/generate/protocol-schema";
import { type FromWebview, type ToWebview, validateFromWebview, validateState, validateToWebview, type WirePlan } from "../src/protocol";

const buf = (n: number) => new Float32Array(n).buffer as ArrayBuffer;

function plan(over: Partial<WirePlan> = {}): WirePlan {
  return {
    dir: "m",
    family: "gemma",
    declaredText: "RMSNorm, x * (1 + weight), no bias",
    precision: { dtype: "bf16", cast: "gemma" },
    eps: 1e-6,
    rows: 8,
    seed: 0,
    scale: 1,
    familyOffset: true,
    stored: "offset",
    storedReason: "median |w| 0.02",
    tensors: [{ name: "model.norm.weight", hidden: 4, weight: buf(4), bias: undefined, declared: "rmsnorm-offset", alternative: "rmsnorm", alternativeLabel: "without the +1 offset" }],
    notes: [],
    ...over,
  };
}

const load = (p: unknown): unknown => ({ type: "load", folder: "m", plan: p });

function rejects(v: { ok: boolean; error?: string }, pattern: RegExp): void {
  expect(v.ok).toBe(false);
  expect((v as { error: string }).error).toMatch(pattern);
}

describe("extension -> webview", () => {
  it("accepts a load and an error", () => {
    expect(validateToWebview(load(plan())).ok).toBe(true);
    expect(validateToWebview(load(plan({ family: undefined, tensors: [] }))).ok).toBe(true);
    expect(validateToWebview({ type: "error", message: "no config.json" } satisfies ToWebview).ok).toBe(true);
  });

  it("rejects wrong types, extra keys, unknown types and missing keys", () => {
    rejects(validateToWebview(load(plan({ rows: "8" as unknown as number }))), /^plan\.rows must be integer$/);
    rejects(validateToWebview(load({ ...plan(), extra: 1 })), /^plan has an unexpected key "extra"$/);
    rejects(validateToWebview({ type: "load", folder: "m", plan: plan(), x: 1 }), /unexpected key "x"/);
    rejects(validateToWebview({ type: "nope" }), /^type must be one of "load", "activations", "error"$/);
    rejects(validateToWebview({ type: "error" }), /is missing "message"/);
    rejects(validateToWebview(null), /must be object/);
    rejects(validateToWebview(load(plan({ precision: { dtype: "f64" as never, cast: "gemma" } }))), /^plan\.precision\.dtype must be one of "f32", "f16", "bf16"$/);
  });

  it("checks activation rows: candidates' shapes, and data holding exactly the shape's float32 values", () => {
    const c = { file: "file:///m/acts.safetensors", tensor: "hidden_states", shape: [2, 4], dtype: "BF16" };
    expect(validateToWebview({ type: "load", folder: "m", plan: plan(), candidates: [c] }).ok).toBe(true);
    rejects(validateToWebview({ type: "load", folder: "m", plan: plan(), candidates: [{ ...c, shape: [-1] }] }), /^candidates\[0\]\.shape\[0\] must be >= 0$/);
    rejects(validateToWebview({ type: "load", folder: "m", plan: plan(), candidates: Array(PROTOCOL_LIMITS.candidates + 1).fill(c) }), /^candidates must NOT have more than 256 items$/);
    const acts = { type: "activations", file: c.file, tensor: c.tensor, label: "`hidden_states` in acts.safetensors", shape: [2, 4], data: buf(8) } as const;
    expect(validateToWebview(acts).ok).toBe(true);
    rejects(validateToWebview({ ...acts, data: buf(7) }), /^data holds 28 bytes, not the 8 float32 values of shape \[2, 4\]$/);
    rejects(validateToWebview({ ...acts, data: [1, 2] }), /^data must be an ArrayBuffer$/);
    rejects(validateToWebview({ ...acts, shape: [] }), /^shape must NOT have fewer than 1 items$/);
    // Only a real ArrayBuffer: not an object faking the tag, not a SharedArrayBuffer, not a view.
    rejects(validateToWebview({ ...acts, data: { [Symbol.toStringTag]: "ArrayBuffer", byteLength: 32 } }), /^data must be an ArrayBuffer$/);
    rejects(validateToWebview({ ...acts, data: new SharedArrayBuffer(32) }), /^data must be an ArrayBuffer$/);
    rejects(validateToWebview({ ...acts, data: new Float32Array(8) }), /^data must be an ArrayBuffer$/);
  });

  it("rejects NaN and infinities where numbers must be finite", () => {
    rejects(validateToWebview(load(plan({ eps: Number.NaN }))), /^plan\.eps must be/);
    rejects(validateToWebview(load(plan({ scale: Number.POSITIVE_INFINITY }))), /^plan\.scale must be/);
    rejects(validateToWebview(load(plan({ seed: -1 }))), /^plan\.seed must be >= 0$/);
  });

  it("rejects huge arrays and strings before walking them", () => {
    const t = plan().tensors[0];
    rejects(validateToWebview(load(plan({ tensors: Array(PROTOCOL_LIMITS.tensors + 1).fill(t) }))), /^plan\.tensors must NOT have more than 4096 items$/);
    rejects(validateToWebview(load(plan({ notes: Array(PROTOCOL_LIMITS.notes + 1).fill("n") }))), /^plan\.notes must NOT have more than 256 items$/);
    rejects(validateToWebview({ type: "error", message: "x".repeat(PROTOCOL_LIMITS.text + 1) }), /^message must NOT have more than 65536 characters$/);
  });

  it("checks tensor buffers: an ArrayBuffer, and exactly hidden float32 values", () => {
    const t = plan().tensors[0];
    rejects(validateToWebview(load(plan({ tensors: [{ ...t, weight: [0, 0, 0, 0] as unknown as ArrayBuffer }] }))), /^plan\.tensors\[0\]\.weight must be an ArrayBuffer$/);
    rejects(validateToWebview(load(plan({ tensors: [{ ...t, weight: buf(3) }] }))), /^plan\.tensors\[0\]\.weight holds 12 bytes, not 4 float32 values$/);
    rejects(validateToWebview(load(plan({ tensors: [{ ...t, bias: buf(5) }] }))), /^plan\.tensors\[0\]\.bias holds 20 bytes/);
    rejects(validateToWebview(load(plan({ tensors: [{ ...t, declared: "rmsnorm-twice" as never }] }))), /^plan\.tensors\[0\]\.declared must be one of/);
    rejects(validateToWebview(load(plan({ tensors: [{ ...t, hidden: 1.5 }] }))), /^plan\.tensors\[0\]\.hidden must be integer$/);
    expect(validateToWebview(load(plan({ tensors: [{ ...t, bias: buf(4) }] }))).ok).toBe(true);
    // The modeling code's convention is optional, and a variant when present.
    expect(validateToWebview(load(plan({ implementedText: "GemmaRMSNorm in modeling.py", tensors: [{ ...t, implemented: "rmsnorm" }] }))).ok).toBe(true);
    rejects(validateToWebview(load(plan({ tensors: [{ ...t, implemented: "x * w" as never }] }))), /^plan\.tensors\[0\]\.implemented must be one of/);
  });
});

describe("webview -> extension", () => {
  it("accepts every message type", () => {
    const ok: FromWebview[] = [
      { type: "ready" },
      { type: "showProblems" },
      { type: "showFinding", code: "NL303" },
      { type: "error", message: "device lost" },
      { type: "result", folder: "m", backend: "gpu", verified: true, verdict: "consistent" },
      { type: "readActivations", file: "file:///m/acts.safetensors", tensor: "hidden_states", rows: 8 },
    ];
    for (const m of ok) expect(validateFromWebview(m)).toEqual({ ok: true, value: m });
  });

  it("rejects wrong types, extra keys and unknown types with a readable error", () => {
    rejects(validateFromWebview({ type: "result", folder: "m", backend: "gpu", verified: "yes", verdict: "v" }), /^verified must be boolean$/);
    rejects(validateFromWebview({ type: "result", folder: "m", backend: "tpu", verified: true, verdict: "v" }), /^backend must be one of "gpu", "cpu"$/);
    rejects(validateFromWebview({ type: "ready", folder: "m" }), /^the message has an unexpected key "folder"$/);
    rejects(validateFromWebview({ type: "load" }), /^type must be one of "ready", "readActivations", "result", "showProblems", "showFinding", "error"$/);
    rejects(validateFromWebview({ type: "result", folder: "m" }), /^the message is missing "backend"$/);
    rejects(validateFromWebview([{ type: "ready" }]), /must be object/);
    rejects(validateFromWebview({ type: "readActivations", file: "f", tensor: "t", rows: 0 }), /^rows must be >= 1$/);
    rejects(validateFromWebview({ type: "readActivations", file: "f", rows: 8 }), /is missing "tensor"/);
    rejects(validateFromWebview({ type: "showFinding", code: "command:workbench.action.terminal.new" }), /^code must be one of "NL001", /);
  });

  it("validates the saved state, refusing NaN and extra keys", () => {
    expect(validateState({ folder: "m", rows: 8, seed: 0, scale: 1 }).ok).toBe(true);
    rejects(validateState({ folder: "m", rows: 8, seed: 0, scale: Number.NaN }), /state is not valid: scale must be/);
    rejects(validateState({ folder: "m", rows: 8, seed: 0, scale: 1, theme: "dark" }), /unexpected key "theme"/);
    rejects(validateState({ folder: 1 }), /state is not valid/);
    expect(validateState({ folder: "m", rows: 8, seed: 0, scale: 1, dtype: "bf16", activations: { file: "f", tensor: "t" } }).ok).toBe(true);
    rejects(validateState({ folder: "m", rows: 8, seed: 0, scale: 1, dtype: "f64" }), /dtype must be one of "f32", "f16", "bf16"/);
    rejects(validateState({ folder: "m", rows: 8, seed: 0, scale: 1, activations: { file: "f" } }), /activations is missing "tensor"/);
  });
});

describe("the committed schema", () => {
  it("names every message type in both directions", () => {
    const schema = JSON.parse(readFileSync(join(__dirname, "..", "schemas", "norm-lab-protocol.schema.json"), "utf8"));
    expect(schema.$defs.toWebview.properties.type.enum).toEqual(["load", "activations", "error"]);
    expect(schema.$defs.fromWebview.properties.type.enum).toEqual(["ready", "readActivations", "result", "showProblems", "showFinding", "error"]);
  });
});
