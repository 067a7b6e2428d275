// The JSON Schema of the Norm Lab's messages (src/protocol.ts), both directions and the saved
// state. This is its source of truth: the committed schemas/norm-lab-protocol.schema.json and the
// ajv-compiled validators (src/engine/generated/protocol-validators.js) are generated from it.
// Tensor values travel as ArrayBuffers, which JSON Schema cannot name: the `arrayBuffer` keyword
// (compiled inline by protocolValidatorsModule) checks them; byte lengths against `hidden` are a
// cross-field rule that src/protocol.ts checks after the schema passes.
import { NORM_VARIANTS } from "../engine/numerics/norms";
import { CAST_ORDERS, DTYPES } from "../engine/numerics/norms";

import { RULES } from "../engine/registry";
import { PROTOCOL_LIMITS } from "../protocol-limits";

export { PROTOCOL_LIMITS };

const text = { type: "string", maxLength: PROTOCOL_LIMITS.text };
const variant = { enum: Object.keys(NORM_VARIANTS) };
const u32 = { type: "integer", minimum: 0, maximum: 0xffffffff };
/** A count of requests or bytes: a whole number, at most 2^53 - 1. */
const count = { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER };
const rows = { type: "integer", minimum: 1, maximum: PROTOCOL_LIMITS.rows };
const scale = { type: "number", exclusiveMinimum: 0 };
/** An activation tensor the user picked: a file of the folder (as the candidates name it) and a tensor. */
const activationRef = { type: "object", additionalProperties: false, required: ["file", "tensor"], properties: { file: text, tensor: text } };

function message(type: string, properties: Record<string, unknown> = {}, optional: string[] = []): Record<string, unknown> {
  const required = ["type", ...Object.keys(properties).filter((k) => !optional.includes(k))];
  return { type: "object", additionalProperties: false, required, properties: { type: { const: type }, ...properties } };
}

export function protocolSchema(): Record<string, unknown> {
  const tensor = {
    type: "object",
    additionalProperties: false,
    required: ["name", "hidden", "weight", "declared", "alternative", "alternativeLabel"],
    properties: {
      name: text,
      hidden: { type: "integer", minimum: 1, maximum: PROTOCOL_LIMITS.hidden },
      weight: { arrayBuffer: true },
      // planToWire spreads an absent bias as `undefined`, which structured clone keeps as a key.
      bias: { anyOf: [{ arrayBuffer: true }, { not: {} }] },
      declared: variant,
      alternative: variant,
      alternativeLabel: text,
      implemented: variant,
    },
  };
  const plan = {
    type: "object",
    additionalProperties: false,
    required: ["dir", "declaredText", "precision", "eps", "rows", "seed", "scale", "familyOffset", "stored", "storedReason", "tensors", "notes"],
    properties: {
      dir: text,
      family: text,
      declaredText: text,
      implementedText: text,
      precision: {
        type: "object",
        additionalProperties: false,
        required: ["dtype", "cast"],
        properties: { dtype: { enum: [...DTYPES] }, cast: { enum: [...CAST_ORDERS] } },
      },
      eps: { type: "number", minimum: 0 },
      rows,
      seed: u32,
      scale,
      familyOffset: { type: "boolean" },
      layout: text,
      stored: { enum: ["offset", "plain", "double", "unknown"] },
      storedReason: text,
      tensors: { type: "array", maxItems: PROTOCOL_LIMITS.tensors, items: { $ref: "#/$defs/tensor" } },
      notes: { type: "array", maxItems: PROTOCOL_LIMITS.notes, items: text },
    },
  };
  const byType = (variants: Record<string, unknown>[]) => ({
    type: "object",
    required: ["type"],
    properties: { type: { enum: variants.map((v) => ((v.properties as Record<string, { const: string }>).type.const)) } },
    // Dispatch on `type` so an error names the fields of the message it claims to be.
    allOf: variants.map((v) => ({ if: { properties: { type: { const: (v.properties as Record<string, { const: string }>).type.const } } }, then: v })),
  });
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://normlint.dev/schemas/norm-lab-protocol.schema.json",
    title: "Norm Lab messages between the extension host and the webview",
    $comment: "`arrayBuffer: true` is a normlint keyword: the value is an ArrayBuffer (sent by structured clone, not JSON).",
    $defs: {
      tensor,
      plan,
      candidate: {
        type: "object",
        additionalProperties: false,
        required: ["file", "tensor", "shape", "dtype"],
        properties: { file: text, tensor: text, shape: { type: "array", maxItems: 16, items: u32 }, dtype: text },
      },
      activationRef,
      // A Hub repository's location and page, and what loading it cost (counts, never negative).
      remote: {
        type: "object",
        additionalProperties: false,
        required: ["label", "url", "requests", "bytesFetched", "cachedReads", "bytesRead", "reads"],
        properties: {
          label: { type: "string", maxLength: 1024, pattern: "^hf://[^/\\s]+/[^/\\s@]+@[0-9a-f]{7,64}(/[^\\s]*)?$" },
          url: { type: "string", maxLength: 2048, pattern: "^https?://[^\\s]+$" },
          requests: count,
          bytesFetched: count,
          cachedReads: count,
          bytesRead: count,
          reads: count,
        },
      },
      toWebview: byType([
        message("load", { folder: text, plan: { $ref: "#/$defs/plan" }, candidates: { type: "array", maxItems: PROTOCOL_LIMITS.candidates, items: { $ref: "#/$defs/candidate" } }, remote: { $ref: "#/$defs/remote" } }, ["candidates", "remote"]),
        message("activations", { file: text, tensor: text, label: text, shape: { type: "array", minItems: 1, maxItems: 16, items: u32 }, data: { arrayBuffer: true } }),
        message("error", { message: text }),
      ]),
      fromWebview: byType([
        message("ready"),
        message("readActivations", { file: text, tensor: text, rows }),
        message("result", { folder: text, backend: { enum: ["gpu", "cpu"] }, verified: { type: "boolean" }, verdict: text }),
        message("showProblems"),
        // Only a rule's code: the extension looks the finding up among its own diagnostics.
        message("showFinding", { code: { enum: RULES.map((r) => r.code).sort() } }),
        message("error", { message: text }),
      ]),
      state: {
        type: "object",
        additionalProperties: false,
        required: ["folder", "rows", "seed", "scale"],
        properties: { folder: text, rows, seed: u32, scale, dtype: { enum: [...DTYPES] }, activations: activationRef },
      },
    },
  };
}
