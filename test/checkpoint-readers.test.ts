import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { openFileSource } from "../src/node/bytes";
import { type ByteSource, bytesSource, countingSource } from "../src/engine/io";
import { decodeBF16, decodeF16, decodeF8E4M3, decodeF8E5M2 } from "../src/engine/numerics/dtypes";
import { type GgufArray, type GgufResult, readGgufHeader, readGgufTensor } from "../src/engine/parsers/gguf";
import {
  DEFAULT_MAX_HEADER_BYTES,
  readSafetensorsHeader,
  readTensor,
  SAFETENSORS_DTYPE_BITS,
  type SafetensorsHeader,
  type SafetensorsResult,
} from "../src/engine/parsers/safetensors";
import { checkShardIndex } from "../src/engine/parsers/safetensors-index";
import { normStats } from "../src/engine/weights/norm-stats";
import { byteMutations, mutateBytes } from "./harness/mutate";
import {
  buildGguf,
  buildGgufHeader,
  buildSafetensors,
  encodeSafetensorsHeader,
  encodeValues,
  type GgufMeta,
  safetensorsFromHeader,
} from "./harness/checkpoint-builder";

const enc = new TextEncoder();
const U64_MAX = (1n << 64n) - 1n;

/** Awaits a reader with a deadline: a hang fails the case instead of the whole run. */
async function settle<T>(p: Promise<T>, ms = 2000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const codes = (r: SafetensorsResult | GgufResult) => (r.ok ? [] : r.problems.map((p) => p.code));
const st = (bytes: Uint8Array, opts?: { maxHeaderBytes?: number }) => readSafetensorsHeader(bytesSource(bytes), opts);

/** File byte offset of the n-th occurrence of `sub` in a header written by safetensorsFromHeader. */
function at(header: string, sub: string, nth = 0): number {
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    i = header.indexOf(sub, i + 1);
    if (i < 0) throw new Error(`${sub} not in header`);
  }
  return 8 + enc.encode(header.slice(0, i)).length;
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function setU64(bytes: Uint8Array, offset: number, v: bigint): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setBigUint64(offset, v, true);
  return out;
}

function setU32(bytes: Uint8Array, offset: number, v: number): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(offset, v, true);
  return out;
}

const F32 = (name: string, begin: number, n = 1) => `"${name}":{"dtype":"F32","shape":[${n}],"data_offsets":[${begin},${begin + 4 * n}]}`;

describe("safetensors: valid files", () => {
  it("round-trips tensors of every decoded dtype, with metadata", async () => {
    const values = [0, 1, -2, 0.5, 3.25, -0.125, 100, 1e-3];
    const built = buildSafetensors({
      metadata: { format: "pt", note: "héllo" },
      tensors: {
        "a.f32": { dtype: "F32", shape: [2, 4], values },
        "b.f16": { dtype: "F16", shape: [8], values },
        "c.bf16": { dtype: "BF16", shape: [8], values },
        "d.f64": { dtype: "F64", shape: [8], values },
        "e.e4m3": { dtype: "F8_E4M3", shape: [8], values },
        "f.e5m2": { dtype: "F8_E5M2", shape: [8], values },
        "g.i32": { dtype: "I32", shape: [3], values: [1, 2, 3] },
        "h.empty": { dtype: "F32", shape: [0, 5] },
        "i.scalar": { dtype: "F32", shape: [], values: [7] },
      },
    });
    const src = bytesSource(built.bytes);
    const r = await readSafetensorsHeader(src);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.header.headerLength).toBe(built.headerLength);
    expect(r.header.headerLength % 8).toBe(0);
    expect(r.header.dataStart).toBe(8 + built.headerLength);
    expect(r.header.metadata).toEqual({ format: "pt", note: "héllo" });
    expect(r.header.tensors.map((t) => t.name)).toEqual(Object.keys(built.header).filter((k) => k !== "__metadata__"));
    expect(r.header.tensors[0]).toMatchObject({ name: "a.f32", dtype: "F32", shape: [2, 4], begin: 0, end: 32 });

    const read = async (name: string) => {
      const t = await readTensor(src, r.header, name);
      if (!t.ok) throw new Error(t.message);
      return Array.from(t.data);
    };
    expect(await read("a.f32")).toEqual(values.map(Math.fround));
    expect(await read("d.f64")).toEqual(values.map(Math.fround));
    expect(await read("b.f16")).toEqual(Array.from(decodeF16(encodeValues("F16", values))));
    expect(await read("c.bf16")).toEqual(Array.from(decodeBF16(encodeValues("BF16", values))));
    expect(await read("e.e4m3")).toEqual(Array.from(decodeF8E4M3(encodeValues("F8_E4M3", values))));
    expect(await read("f.e5m2")).toEqual(Array.from(decodeF8E5M2(encodeValues("F8_E5M2", values))));
    expect((await read("b.f16"))[1]).toBe(1);
    expect(await read("h.empty")).toEqual([]);
    expect(await read("i.scalar")).toEqual([7]);
  });

  it("accepts what the reference accepts: no tensors, null metadata, unknown fields, zero-size tensors, any JSON order, newer dtypes", async () => {
    expect((await st(safetensorsFromHeader("{}"))).ok).toBe(true);
    expect((await st(safetensorsFromHeader("  {}  "))).ok).toBe(true);
    const nullMeta = await st(safetensorsFromHeader(`{"__metadata__":null}`));
    expect(nullMeta.ok && nullMeta.header.metadata).toBe(undefined);
    const h = `{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8],"extra":{"x":[1,2]}},"z":{"dtype":"BF16","shape":[0],"data_offsets":[4,4]},${F32("a", 0)},"m":{"dtype":"F8_E8M0","shape":[2],"data_offsets":[8,10]},"q":{"dtype":"F4","shape":[2,3],"data_offsets":[10,13]}}`;
    const r = await st(safetensorsFromHeader(h, 13));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.header.tensors.map((t) => t.name)).toEqual(["a", "z", "b", "m", "q"]);
  });

  it("reads only the header, then only the tensor asked for", async () => {
    const built = buildSafetensors({ tensors: { big: { dtype: "F32", shape: [100_000] }, "model.norm.weight": { dtype: "BF16", shape: [64], fill: "gemma-like" } } });
    const src = countingSource(bytesSource(built.bytes));
    const r = await readSafetensorsHeader(src);
    if (!r.ok) throw new Error("expected ok");
    expect(src.bytesRead).toBe(8 + r.header.headerLength);
    const before = src.bytesRead;
    const t = await readTensor(src, r.header, "model.norm.weight");
    expect(t.ok).toBe(true);
    expect(src.bytesRead - before).toBe(128);
  });

  it("says why a tensor is not read: unknown name, over the cap, undecoded dtype", async () => {
    const built = buildSafetensors({ tensors: { w: { dtype: "F32", shape: [64] }, i: { dtype: "I32", shape: [2], values: [1, 2] } } });
    const src = bytesSource(built.bytes);
    const r = await readSafetensorsHeader(src);
    if (!r.ok) throw new Error("expected ok");
    expect(await readTensor(src, r.header, "nope")).toMatchObject({ ok: false, reason: "not-found" });
    const capped = await readTensor(src, r.header, "w", { maxBytes: 100 });
    expect(capped).toMatchObject({ ok: false, reason: "too-large" });
    expect(!capped.ok && capped.message).toContain("cap");
    expect(await readTensor(src, r.header, "i")).toMatchObject({ ok: false, reason: "not-decoded" });
    // A header from a longer file used on a shorter one.
    expect(await readTensor(bytesSource(built.bytes.subarray(0, r.header.dataStart + 100)), r.header, "w")).toMatchObject({ ok: false, reason: "truncated" });
  });
});

describe("safetensors: each problem, with its byte offset", () => {
  const cases: Array<{ name: string; header: string; data: number; code: string; where: number | [string, number?] }> = [
    { name: "unknown dtype", header: `{"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}`, data: 4, code: "unknown-dtype", where: ['"F33"'] },
    { name: "dtype not a string", header: `{"a":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}`, data: 4, code: "unknown-dtype", where: ["32"] },
    { name: "negative dim", header: `{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, data: 4, code: "invalid-shape", where: ["-1"] },
    { name: "fractional dim", header: `{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, data: 4, code: "invalid-shape", where: ["1.5"] },
    { name: "exponent dim", header: `{"a":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}`, data: 4, code: "invalid-shape", where: ["1e0"] },
    { name: "dim over u64", header: `{"a":{"dtype":"U8","shape":[18446744073709551616],"data_offsets":[0,4]}}`, data: 4, code: "invalid-shape", where: ["1844"] },
    { name: "shape not an array", header: `{"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}`, data: 4, code: "invalid-shape", where: ['"1"'] },
    { name: "one offset", header: `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}`, data: 4, code: "invalid-offsets", where: ["[0]"] },
    { name: "three offsets", header: `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, data: 4, code: "invalid-offsets", where: ["[0,4,8]"] },
    { name: "negative offset", header: `{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, data: 4, code: "invalid-offsets", where: ["[-4"] },
    { name: "string offset", header: `{"a":{"dtype":"F32","shape":[1],"data_offsets":["0",4]}}`, data: 4, code: "invalid-offsets", where: ['["0"'] },
    { name: "reversed offsets", header: `{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}`, data: 8, code: "offsets-reversed", where: ["[8,4]"] },
    { name: "size mismatch", header: `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, data: 4, code: "size-mismatch", where: ["[0,4]"] },
    { name: "u64 overflow", header: `{"a":{"dtype":"U8","shape":[4294967296,4294967296,2],"data_offsets":[0,0]}}`, data: 0, code: "overflow", where: ["[4294967296"] },
    { name: "bit overflow", header: `{"a":{"dtype":"F16","shape":[18446744073709551615],"data_offsets":[0,0]}}`, data: 0, code: "overflow", where: ["[1844"] },
    { name: "sub-byte end", header: `{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}`, data: 2, code: "misaligned", where: ["[3]"] },
    { name: "past the data area", header: `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, data: 4, code: "out-of-bounds", where: ["[0,8]"] },
    { name: "overlap", header: `{${F32("a", 0, 2)},${F32("b", 4, 2)}}`, data: 12, code: "overlap", where: ['"b"'] },
    { name: "hole", header: `{${F32("a", 0)},${F32("b", 8)}}`, data: 12, code: "gap", where: ['"b"'] },
    { name: "hole at the start", header: `{${F32("a", 4)}}`, data: 8, code: "gap", where: ['"a"'] },
    { name: "trailing bytes", header: `{${F32("a", 0)}}`, data: 6, code: "trailing-bytes", where: 8 + `{${F32("a", 0)}}`.length + 4 },
    { name: "duplicate tensor (JSON.parse would hide it)", header: `{${F32("a", 0)},${F32("a", 4)}}`, data: 8, code: "duplicate-key", where: ['"a"', 1] },
    { name: "duplicate field", header: `{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, data: 4, code: "duplicate-key", where: ['"dtype"', 1] },
    { name: "duplicate metadata key", header: `{"__metadata__":{"k":"1","k":"2"}}`, data: 0, code: "duplicate-key", where: ['"k"', 1] },
    { name: "missing field", header: `{"a":{"dtype":"F32","shape":[1]}}`, data: 0, code: "missing-field", where: ['"a"'] },
    { name: "tensor not an object", header: `{"a":5}`, data: 0, code: "invalid-tensor", where: ["5"] },
    { name: "metadata value not a string", header: `{"__metadata__":{"k":1}}`, data: 0, code: "invalid-metadata", where: ["1}"] },
    { name: "metadata not an object", header: `{"__metadata__":[]}`, data: 0, code: "invalid-metadata", where: ["[]"] },
    { name: "not an object", header: ` []`, data: 0, code: "not-an-object", where: ["[]"] },
    { name: "trailing comma", header: `{"a":{"dtype":"F32",}}`, data: 0, code: "invalid-json", where: ["}}"] },
    { name: "syntax error after multi-byte text", header: `{"é€😀":1 2}`, data: 0, code: "invalid-json", where: ["2}"] },
    { name: "truncated JSON", header: `{"a":`, data: 0, code: "invalid-json", where: 8 + 5 },
    { name: "empty header", header: ``, data: 0, code: "invalid-json", where: 8 },
    { name: "NaN literal", header: `{"__metadata__":{"k":NaN}}`, data: 0, code: "invalid-json", where: ["NaN"] },
    { name: "comment", header: `{/* c */}`, data: 0, code: "invalid-json", where: ["/*"] },
    { name: "unpaired surrogate escape", header: `{"__metadata__":{"k":"\\ud800"}}`, data: 0, code: "invalid-json", where: ['"\\ud800"'] },
    { name: "dimension past 2^53 next to a zero", header: `{"a":{"dtype":"F32","shape":[0,9007199254740993],"data_offsets":[0,0]}}`, data: 0, code: "unsupported-size", where: ["[0,9"] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const bytes = safetensorsFromHeader(c.header, c.data);
      const r = await st(bytes);
      expect(codes(r)).toEqual([c.code]);
      const where = typeof c.where === "number" ? c.where : at(c.header, c.where[0], c.where[1]);
      expect(!r.ok && r.problems[0].offset).toBe(where);
      expect(!r.ok && r.problems[0].message.length).toBeGreaterThan(10);
    });
  }

  it("refuses files under 8 bytes, header lengths past the file or the cap (up to 2^64-1), reading only 8 bytes", async () => {
    expect(codes(await st(new Uint8Array(5)))).toEqual(["file-too-small"]);
    for (const n of [100_000_001n, U64_MAX, 1n << 63n, 2n ** 53n + 1n]) {
      const bytes = setU64(safetensorsFromHeader("{}"), 0, n);
      const src = countingSource(bytesSource(bytes));
      const r = await readSafetensorsHeader(src);
      expect(codes(r)).toEqual(["header-too-large", "header-beyond-eof"]);
      expect(src.bytesRead).toBe(8);
    }
    const past = setU64(safetensorsFromHeader("{}"), 0, 3n);
    expect(codes(await st(past))).toEqual(["header-beyond-eof"]);
    const capped = await st(safetensorsFromHeader(`{${F32("a", 0)}}`, 4), { maxHeaderBytes: 16 });
    expect(codes(capped)).toEqual(["header-too-large"]);
    expect(DEFAULT_MAX_HEADER_BYTES).toBe(100_000_000);
  });

  it("reports invalid UTF-8 at the offending byte (overlong, surrogate, past U+10FFFF, truncated)", async () => {
    const head = `{"__metadata__":{"k":"ab`;
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]]) {
      const text = new Uint8Array([...enc.encode(head), ...bad, ...enc.encode(`"}}`)]);
      const r = await st(fileWithRawHeader(text));
      expect(codes(r)).toEqual(["invalid-utf8"]);
      expect(!r.ok && r.problems[0].offset).toBe(8 + head.length);
    }
  });

  it("stops at serde_json's nesting limit without recursing", async () => {
    const header = `{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"x":${"[".repeat(50_000)}${"]".repeat(50_000)}}}`;
    const r = await st(safetensorsFromHeader(header, 4));
    expect(codes(r)).toEqual(["too-deep"]);
    expect(!r.ok && r.problems[0].offset).toBe(at(header, "[[[") + 125);
    const ok = `{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"x":${"[".repeat(100)}${"]".repeat(100)}}}`;
    expect((await st(safetensorsFromHeader(ok, 4))).ok).toBe(true);
  });

  it("collects every problem, sorted by offset", async () => {
    const header = `{"__metadata__":{"k":1},"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,8]},${F32("c", 12)}}`;
    const r = await st(safetensorsFromHeader(header, 16));
    expect(codes(r)).toEqual(["invalid-metadata", "unknown-dtype", "size-mismatch", "gap"]);
    const offsets = !r.ok ? r.problems.map((p) => p.offset) : [];
    expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
  });
});

function fileWithRawHeader(header: Uint8Array, data = 0): Uint8Array {
  const out = new Uint8Array(8 + header.length + data);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  return out;
}

describe("safetensors index", () => {
  const shard = (names: string[]): SafetensorsHeader => ({
    headerLength: 0,
    dataStart: 8,
    metadata: undefined,
    tensors: names.map((name, i) => ({ name, dtype: "F32", shape: [1], begin: 4 * i, end: 4 * i + 4, keyOffset: 0 })),
  });
  const index = (wm: Record<string, string>) => JSON.stringify({ metadata: { total_size: 16 }, weight_map: wm }, null, 2);
  const ids = (text: string, shards: Map<string, SafetensorsHeader | undefined>) => checkShardIndex(text, shards).problems.map((p) => p.code);

  it("accepts an index that matches its shards", () => {
    const text = index({ a: "s1", b: "s1", c: "s2" });
    const r = checkShardIndex(text, new Map([["s1", shard(["a", "b"])], ["s2", shard(["c"])]]));
    expect(r.problems).toEqual([]);
    expect(r.shards).toEqual(["s1", "s2"]);
    expect(r.weightMap.get("c")).toBe("s2");
  });

  it("reports invalid JSON and a missing or wrong weight_map with ranges", () => {
    const bad = `{"weight_map": {"a": "s1",}}`;
    const r = checkShardIndex(bad, new Map([["s1", shard(["a"])]]));
    expect(r.problems.map((p) => p.code)).toEqual(["invalid-json"]);
    expect(bad.slice(r.problems[0].start, r.problems[0].end)).toBe(",");
    expect(ids(`{"metadata": {}}`, new Map())).toEqual(["missing-weight-map"]);
    const wrong = `{"weight_map": ["a"]}`;
    const w = checkShardIndex(wrong, new Map());
    expect(w.problems.map((p) => p.code)).toEqual(["invalid-weight-map"]);
    expect(wrong.slice(w.problems[0].start, w.problems[0].end)).toBe(`["a"]`);
    expect(ids(`[1]`, new Map())).toEqual(["not-an-object"]);
    expect(ids(`{"weight_map": {"a": 3}}`, new Map())).toEqual(["invalid-entry"]);
  });

  it("reports a missing shard once, at its first mention", () => {
    const text = index({ a: "s1", b: "s2", c: "s2" });
    const r = checkShardIndex(text, new Map([["s1", shard(["a"])], ["s2", undefined]]));
    expect(r.problems.map((p) => p.code)).toEqual(["missing-shard"]);
    expect(text.slice(r.problems[0].start, r.problems[0].end)).toBe(`"s2"`);
    expect(r.problems[0].message).toContain("2 tensors");
    // A shard the caller never found at all is missing too.
    expect(ids(index({ a: "s1" }), new Map())).toEqual(["missing-shard"]);
  });

  it("reports a tensor absent from its shard, a tensor in two shards, unreferenced shards and unlisted tensors", () => {
    const text = index({ a: "s1", b: "s1", c: "s2" });
    const r = checkShardIndex(text, new Map([["s1", shard(["a", "c"])], ["s2", shard(["c", "x"])], ["s3", shard(["d"])]]));
    const byCode = Object.fromEntries(r.problems.map((p) => [p.code, p]));
    expect(Object.keys(byCode).sort()).toEqual(["missing-tensor", "tensor-in-two-shards", "unlisted-tensor", "unreferenced-shard"]);
    expect(text.slice(byCode["missing-tensor"].start, byCode["missing-tensor"].end)).toBe(`"b"`);
    expect(text.slice(byCode["tensor-in-two-shards"].start, byCode["tensor-in-two-shards"].end)).toBe(`"c"`);
    expect(byCode["unreferenced-shard"].shard).toBe("s3");
    expect(byCode["unlisted-tensor"].message).toContain("`x`");
    expect(r.problems.filter((p) => p.code === "unlisted-tensor").length).toBe(1);
  });

  it("reports duplicate weight_map keys and folds floods into one line", () => {
    expect(ids(`{"weight_map": {"a": "s1", "a": "s1"}}`, new Map([["s1", shard(["a"])]]))).toEqual(["duplicate-entry"]);
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`t${i}`, "s1"]));
    const r = checkShardIndex(index(many), new Map([["s1", shard([])]]));
    expect(r.problems.length).toBe(21);
    expect(r.problems.at(-1)!.message).toContain("30 more");
  });
});

describe("GGUF: valid files", () => {
  const meta: Record<string, GgufMeta> = {
    "general.architecture": "llama",
    "general.name": "tïny",
    "llama.block_count": 2,
    "llama.attention.layer_norm_rms_epsilon": { type: "f32", value: 1e-5 },
    "x.u8": { type: "u8", value: 255 },
    "x.i8": { type: "i8", value: -128 },
    "x.u16": { type: "u16", value: 65535 },
    "x.i16": { type: "i16", value: -32768 },
    "x.i32": { type: "i32", value: -5 },
    "x.u64": { type: "u64", value: U64_MAX },
    "x.i64": { type: "i64", value: -(1n << 63n) },
    "x.f64": { type: "f64", value: Math.PI },
    "x.bool": true,
    "tokenizer.ggml.tokens": { type: "arr", itemType: "str", items: ["<s>", "</s>", "é"] },
    "x.nested": { type: "arr", itemType: "arr", items: [{ type: "arr", itemType: "i32", items: [{ type: "i32", value: 1 }, { type: "i32", value: -2 }] }] },
    "x.empty": { type: "arr", itemType: "f32", items: [] },
  };
  const tensors = {
    "blk.0.attn_norm.weight": { type: "F32", dims: [64], values: Array.from({ length: 64 }, (_, i) => i / 64) },
    "blk.0.ffn_norm.weight": { type: "F16", dims: [64], fill: "llama-like" as const },
    "output_norm.weight": { type: "BF16", dims: [64], fill: "llama-like" as const },
    "blk.0.attn_q.weight": { type: "Q4_K", dims: [256, 4] },
    "token_embd.weight": { type: "Q8_0", dims: [64, 3] },
  };

  it("round-trips metadata of every type, nested arrays and tensor infos (v3 and v2)", async () => {
    for (const version of [3, 2]) {
      const bytes = buildGguf({ version, metadata: meta, tensors });
      const src = bytesSource(bytes);
      const r = await readGgufHeader(src);
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      const h = r.header;
      expect(h.version).toBe(version);
      expect(h.kvCount).toBe(Object.keys(meta).length);
      const v = (k: string) => h.metadata.get(k)?.value;
      expect(v("general.name")).toBe("tïny");
      expect(v("llama.block_count")).toBe(2);
      expect(v("llama.attention.layer_norm_rms_epsilon")).toBe(Math.fround(1e-5));
      expect([v("x.u8"), v("x.i8"), v("x.u16"), v("x.i16"), v("x.i32"), v("x.u64"), v("x.i64"), v("x.f64"), v("x.bool")]).toEqual([255, -128, 65535, -32768, -5, U64_MAX, -(1n << 63n), Math.PI, true]);
      expect((v("tokenizer.ggml.tokens") as GgufArray).items).toEqual(["<s>", "</s>", "é"]);
      const nested = v("x.nested") as GgufArray;
      expect(nested.itemType).toBe("arr");
      expect((nested.items![0] as GgufArray).items).toEqual([1, -2]);
      expect(h.alignment).toBe(32);
      expect(h.dataStart % 32).toBe(0);
      expect(h.tensors.map((t) => [t.name, t.typeName, t.dims])).toEqual(Object.entries(tensors).map(([n, t]) => [n, t.type, t.dims]));
      expect(h.tensors.find((t) => t.name === "blk.0.attn_q.weight")!.byteLength).toBe(4 * 144);
      expect(h.tensors.find((t) => t.name === "token_embd.weight")!.byteLength).toBe(3 * 2 * 34);

      const f32 = await readGgufTensor(src, h, "blk.0.attn_norm.weight");
      expect(f32.ok && Array.from(f32.data)).toEqual(tensors["blk.0.attn_norm.weight"].values);
      for (const name of ["blk.0.ffn_norm.weight", "output_norm.weight"]) {
        const t = await readGgufTensor(src, h, name);
        expect(t.ok && t.data.length).toBe(64);
      }
      const q = await readGgufTensor(src, h, "blk.0.attn_q.weight");
      expect(q).toMatchObject({ ok: false, reason: "not-decoded" });
      expect(!q.ok && q.message).toContain("quantized type Q4_K");
      expect(await readGgufTensor(src, h, "missing")).toMatchObject({ ok: false, reason: "not-found" });
    }
  });

  it("honours general.alignment and keeps long arrays as a length only", async () => {
    const tokens = Array.from({ length: 5000 }, (_, i) => `tok${i}`);
    const bytes = buildGguf({
      alignment: 64,
      metadata: { "tokenizer.ggml.tokens": { type: "arr", itemType: "str", items: tokens }, "tokenizer.ggml.scores": { type: "arr", itemType: "f32", items: tokens.map(() => 0.5) } },
      tensors: { a: { type: "F32", dims: [3] }, b: { type: "F32", dims: [5] } },
    });
    const r = await readGgufHeader(bytesSource(bytes));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.header.alignment).toBe(64);
    expect(r.header.dataStart % 64).toBe(0);
    expect(r.header.tensors[1].offset).toBe(64);
    const toks = r.header.metadata.get("tokenizer.ggml.tokens")!.value as GgufArray;
    expect([toks.length, toks.items]).toEqual([5000, undefined]);
    const kept = await readGgufHeader(bytesSource(bytes), { maxStoredArrayItems: 10_000 });
    expect(kept.ok && (kept.header.metadata.get("tokenizer.ggml.tokens")!.value as GgufArray).items![4999]).toBe("tok4999");
  });
});

describe("GGUF: each problem, with its byte offset", () => {
  const base = () => buildGguf({ metadata: { "general.architecture": "llama", "general.name": "x" }, tensors: { "blk.0.attn_norm.weight": { type: "F32", dims: [8] }, "output_norm.weight": { type: "F32", dims: [8] } } });
  const first = async (bytes: Uint8Array, opts = {}) => {
    const r = await settle(readGgufHeader(bytesSource(bytes), opts));
    return r.ok ? undefined : r.problems[0];
  };
  const nameAt = (bytes: Uint8Array, name: string) => indexOfBytes(bytes, enc.encode(name)) - 8;

  it("refuses small files, wrong magic, v1, v4 and big-endian files", async () => {
    expect((await first(new Uint8Array(10)))?.code).toBe("file-too-small");
    const b = base();
    expect(await first(new Uint8Array([...enc.encode("GGML"), ...b.subarray(4)]))).toMatchObject({ code: "bad-magic", offset: 0 });
    expect(await first(setU32(b, 4, 1))).toMatchObject({ code: "unsupported-version", offset: 4 });
    expect(await first(setU32(b, 4, 4))).toMatchObject({ code: "unsupported-version", offset: 4 });
    const be = b.slice();
    be.set([0, 0, 0, 3], 4);
    const p = await first(be);
    expect(p).toMatchObject({ code: "big-endian", offset: 4 });
    expect(p!.message).toContain("version 3");
    expect(await first(new Uint8Array([...enc.encode("FUGG"), ...b.subarray(4)]))).toMatchObject({ code: "big-endian", offset: 0 });
  });

  it("refuses counts up to 2^64-1 without reading or allocating", async () => {
    for (const n of [U64_MAX, 1n << 63n, 1n << 62n, 2_000_000n, 1000n]) {
      for (const field of [8, 16]) {
        const src = countingSource(bytesSource(setU64(base(), field, n)));
        const r = await settle(readGgufHeader(src));
        expect(codes(r)).toEqual(["count-too-large"]);
        expect(!r.ok && r.problems[0].offset).toBe(field);
        expect(src.bytesRead).toBeLessThanOrEqual(src.size);
      }
    }
  });

  it("refuses string lengths past the end of the file or over the cap", async () => {
    const b = base();
    for (const n of [U64_MAX, 1n << 40n, BigInt(b.length)]) expect(await first(setU64(b, 24, n))).toMatchObject({ code: n > 64n * 1024n * 1024n ? "string-too-long" : "truncated", offset: 24 });
    expect(await first(b, { maxStringLength: 4 })).toMatchObject({ code: "string-too-long", offset: 24 });
    const tensorName = nameAt(b, "output_norm.weight");
    expect(await first(setU64(b, tensorName, 1n << 20n))).toMatchObject({ code: "truncated", offset: tensorName });
  });

  it("refuses invalid value types, arrays past the file, arrays nested too deep", async () => {
    const b = base();
    const typeAt = 24 + 8 + "general.architecture".length;
    expect(await first(setU32(b, typeAt, 13))).toMatchObject({ code: "invalid-value-type", offset: typeAt });
    const arr = buildGguf({ metadata: { a: { type: "arr", itemType: "u32", items: [1, 2, 3] } } });
    const countAt = 24 + 8 + 1 + 4 + 4;
    expect(await first(setU64(arr, countAt, 1n << 40n))).toMatchObject({ code: "array-too-long", offset: countAt });
    expect(await first(setU64(arr, countAt, 1000n))).toMatchObject({ code: "truncated", offset: countAt });
    const nest = (d: number): GgufMeta => (d === 0 ? { type: "arr", itemType: "u8", items: [1] } : { type: "arr", itemType: "arr", items: [nest(d - 1)] });
    expect((await readGgufHeader(bytesSource(buildGguf({ metadata: { n: nest(15) } })))).ok).toBe(true);
    expect((await first(buildGguf({ metadata: { n: nest(16) } })))?.code).toBe("too-deep");
  });

  it("reports empty and duplicate keys and a bad general.alignment", async () => {
    expect((await first(buildGguf({ metadata: { "": 1 } })))).toMatchObject({ code: "empty-key", offset: 24 });
    const dupFile = buildGguf({ metadata: { "k.a": 1, "k.b": 2 } });
    dupFile.set(enc.encode("k.a"), indexOfBytes(dupFile, enc.encode("k.b")));
    expect(await first(dupFile)).toMatchObject({ code: "duplicate-key", offset: indexOfBytes(dupFile, enc.encode("k.a"), 36) - 8 });
    expect((await first(buildGguf({ metadata: { "general.alignment": 3 }, tensors: { a: { type: "F32", dims: [1] } } })))?.code).toBe("invalid-alignment");
    expect((await first(buildGguf({ metadata: { "general.alignment": { type: "u64", value: 32n } } })))?.code).toBe("invalid-alignment");
  });

  it("reports bad tensor infos: long or duplicate names, dims, types, block sizes", async () => {
    const one = (desc: Record<string, { type: string; dims: number[] }>) => buildGguf({ tensors: desc });
    const long = "x".repeat(64);
    expect(await first(one({ [long]: { type: "F32", dims: [1] } }))).toMatchObject({ code: "name-too-long", offset: 24 });
    const dup = one({ "a.x": { type: "F32", dims: [8] }, "a.y": { type: "F32", dims: [8] } });
    dup.set(enc.encode("a.x"), indexOfBytes(dup, enc.encode("a.y")));
    expect(await first(dup)).toMatchObject({ code: "duplicate-tensor", offset: indexOfBytes(dup, enc.encode("a.x"), 36) - 8 });
    const dims = one({ t: { type: "F32", dims: [1, 1, 1, 1, 1] } });
    expect(await first(dims)).toMatchObject({ code: "too-many-dims", offset: 24 + 8 + 1 });
    const neg = setU64(one({ t: { type: "F32", dims: [4] } }), 24 + 8 + 1 + 4, U64_MAX);
    expect(await first(neg)).toMatchObject({ code: "invalid-dim", offset: 24 + 8 + 1 + 4 });
    const huge = one({ t: { type: "F32", dims: [1, 1] } });
    const big = setU64(setU64(huge, 24 + 13, 1n << 32n), 24 + 21, 1n << 32n);
    expect((await first(big))?.code).toBe("too-many-elements");
    const typeAt = 24 + 8 + 1 + 4 + 8;
    expect(await first(setU32(one({ t: { type: "F32", dims: [4] } }), typeAt, 31))).toMatchObject({ code: "unknown-ggml-type", offset: typeAt });
    const q = one({ t: { type: "F32", dims: [33] } });
    expect(await first(setU32(q, typeAt, 8))).toMatchObject({ code: "block-mismatch", offset: typeAt });
  });

  it("reports misaligned, out-of-order and out-of-bounds tensor data", async () => {
    const b = base();
    const second = nameAt(b, "output_norm.weight");
    const offsetField = second + 8 + "output_norm.weight".length + 4 + 8 + 4;
    expect(await first(setU64(b, offsetField, 33n))).toMatchObject({ code: "misaligned-offset", offset: second });
    expect(await first(setU64(b, offsetField, 64n))).toMatchObject({ code: "unexpected-offset", offset: second });
    const cut = await readGgufHeader(bytesSource(b.subarray(0, b.length - 16)));
    expect(codes(cut)).toEqual(["out-of-bounds"]);
  });
});

describe("fuzz", () => {
  // Run counts: each property states its own; the total is printed by the last test, with how
  // often each outcome came up (a fuzzer that only ever produces one problem proves little).
  let cases = 0;
  const outcomes = new Map<string, number>();
  const tally = (r: SafetensorsResult | GgufResult) => {
    const key = r.ok ? ("header" in r && "version" in r.header ? "gguf ok" : "safetensors ok") : r.problems[0].code;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  };
  const run = async <Ts extends [unknown, ...unknown[]]>(prop: fc.IAsyncPropertyWithHooks<Ts>, numRuns: number) => {
    await fc.assert(prop, { numRuns, seed: 20250601, endOnFailure: true });
    cases += numRuns;
  };

  const stDesc = fc.dictionary(
    fc.stringMatching(/^[a-z][a-z0-9._]{0,12}$/),
    fc.record({ dtype: fc.constantFrom("F32", "F16", "BF16", "F64", "F8_E4M3", "F8_E5M2", "U8", "I64"), shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }) }),
    { minKeys: 1, maxKeys: 4 },
  );
  const buildSt = (d: Record<string, { dtype: string; shape: number[] }>) => buildSafetensors({ metadata: { format: "pt" }, tensors: d }).bytes;

  /** Reads the header through a counting source: never throws, never hangs, and reads at most 8 + min(N, cap). */
  async function checkSt(bytes: Uint8Array): Promise<SafetensorsResult> {
    const src = countingSource(bytesSource(bytes));
    const r = await settle(readSafetensorsHeader(src));
    const n = bytes.length >= 8 ? new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true) : 0n;
    const bound = 8n + (n > BigInt(DEFAULT_MAX_HEADER_BYTES) || n > BigInt(bytes.length) ? 0n : n);
    expect(BigInt(src.bytesRead)).toBeLessThanOrEqual(bound);
    if (r.ok) {
      // Invariants of an accepted header, checked independently.
      let cursor = 0;
      for (const t of r.header.tensors) {
        expect(t.begin).toBe(cursor);
        const bits = SAFETENSORS_DTYPE_BITS[t.dtype];
        expect(t.end - t.begin).toBe((t.shape.reduce((a, b) => a * b, 1) * bits) / 8);
        cursor = t.end;
        const read = await settle(readTensor(bytesSource(bytes), r.header, t.name));
        if (!read.ok) expect(["not-decoded", "too-large"]).toContain(read.reason);
      }
      expect(r.header.dataStart + cursor).toBe(bytes.length);
    } else {
      expect(r.problems.length).toBeGreaterThan(0);
      for (const p of r.problems) expect(p.offset).toBeGreaterThanOrEqual(0);
      // The reader turns exceptions into "read-error"; an in-memory source never fails, so one here is a bug.
      expect(codes(r)).not.toContain("read-error");
    }
    tally(r);
    return r;
  }

  it("safetensors: mutated headers (byte sets, inserts, deletes, truncation)", async () => {
    await run(
      fc.asyncProperty(stDesc, byteMutations, async (d, ops) => {
        const bytes = buildSt(d);
        const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
        await checkSt(mutateBytes(bytes, ops, 8 + n));
      }),
      3000,
    );
  });

  it("safetensors: header lengths anywhere in 0..2^64-1", async () => {
    const length = fc.oneof(fc.bigInt({ min: 0n, max: U64_MAX }), fc.bigInt({ min: 0n, max: 4096n }), fc.constantFrom(U64_MAX, 1n << 63n, 100_000_000n, 100_000_001n));
    await run(
      fc.asyncProperty(stDesc, length, async (d, n) => {
        const bytes = buildSt(d);
        const original = new DataView(bytes.buffer).getBigUint64(0, true);
        const r = await checkSt(setU64(bytes, 0, n));
        if (n === original) expect(r.ok).toBe(true);
      }),
      500,
    );
  });

  it("safetensors: random layouts agree with an independent model of the reference's rules", async () => {
    const entry = fc.record({
      dtype: fc.constantFrom("F32", "BF16", "U8", "F4", "F64"),
      shape: fc.array(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom(2 ** 32, 2 ** 40)), { maxLength: 3 }),
      tweak: fc.constantFrom("none", "none", "none", "gap", "overlap", "short", "long", "reverse"),
    });
    await run(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 5 }), fc.integer({ min: -2, max: 2 }), fc.boolean(), async (entries, slack, shuffle) => {
        let cursor = 0n;
        const items = entries.map((e, i) => {
          const count = e.shape.reduce((a, b) => a * BigInt(b), 1n);
          const size = (count * BigInt(SAFETENSORS_DTYPE_BITS[e.dtype])) / 8n;
          let b = cursor;
          let end = cursor + (size > 1000n ? 0n : size);
          if (e.tweak === "gap") [b, end] = [b + 2n, end + 2n];
          if (e.tweak === "overlap" && b > 0n) [b, end] = [b - 1n, end - 1n];
          if (e.tweak === "short" && end > b) end -= 1n;
          if (e.tweak === "long") end += 1n;
          if (e.tweak === "reverse") [b, end] = [end + 1n, b];
          cursor = end > cursor ? end : cursor;
          return { name: `t${i}`, ...e, begin: b, end };
        });
        const order = shuffle ? [...items].reverse() : items;
        const header = `{${order.map((t) => `"${t.name}":{"dtype":"${t.dtype}","shape":[${t.shape.join(",")}],"data_offsets":[${t.begin},${t.end}]}`).join(",")}}`;
        const dataSize = Number(cursor) + slack;
        if (dataSize < 0) return;
        const r = await checkSt(safetensorsFromHeader(header, dataSize));
        // The model: sort by (begin, end); each must start where the previous ended, from 0, end at the
        // data size; bytes = count * bits / 8 with 64-bit overflow; bits a whole number of bytes.
        const sorted = [...items].sort((x, y) => (x.begin < y.begin ? -1 : x.begin > y.begin ? 1 : x.end < y.end ? -1 : x.end > y.end ? 1 : 0));
        let expectOk = true;
        let c = 0n;
        for (const t of sorted) {
          if (t.begin !== c || t.end < t.begin) expectOk = false;
          c = t.end;
          let count = 1n;
          for (const d of t.shape) {
            count *= BigInt(d);
            if (count > U64_MAX) expectOk = false;
          }
          const nbits = count * BigInt(SAFETENSORS_DTYPE_BITS[t.dtype]);
          if (nbits > U64_MAX || nbits % 8n !== 0n || nbits / 8n !== t.end - t.begin) expectOk = false;
          if (t.shape.some((d) => d > Number.MAX_SAFE_INTEGER)) expectOk = false;
        }
        if (c !== BigInt(dataSize)) expectOk = false;
        expect(r.ok).toBe(expectOk);
      }),
      1000,
    );
  });

  it("safetensors: huge and odd dimensions", async () => {
    const dim = fc.oneof(fc.bigInt({ min: 0n, max: U64_MAX + 10n }), fc.constantFrom(0n, 1n, 2n ** 53n + 1n, U64_MAX, U64_MAX + 1n));
    await run(
      fc.asyncProperty(fc.array(dim, { maxLength: 4 }), fc.constantFrom("F32", "U8", "F4", "BF16"), fc.bigInt({ min: 0n, max: U64_MAX }), async (dims, dtype, end) => {
        const header = `{"a":{"dtype":"${dtype}","shape":[${dims.join(",")}],"data_offsets":[0,${end}]}}`;
        await checkSt(safetensorsFromHeader(header, 16));
      }),
      300,
    );
  });

  it("safetensors: invalid UTF-8 anywhere in a string is reported at its first byte", async () => {
    const bad = fc.constantFrom([0xff], [0xfe], [0xc0, 0x80], [0xc1, 0xbf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xe2, 0x82]);
    await run(
      fc.asyncProperty(fc.string({ maxLength: 40 }), fc.nat(), bad, async (value, pos, seq) => {
        const head = `{"__metadata__":{"k":${JSON.stringify(value)}}}`;
        const bytes = enc.encode(head);
        // Inside the string value, after the opening quote.
        const start = enc.encode(`{"__metadata__":{"k":"`).length;
        // Only positions between whole characters.
        const cuts = [0];
        let off = 0;
        for (const ch of JSON.stringify(value).slice(1, -1)) {
          off += enc.encode(ch).length;
          cuts.push(off);
        }
        const cut = start + cuts[pos % cuts.length];
        const mutated = new Uint8Array([...bytes.subarray(0, cut), ...seq, ...bytes.subarray(cut)]);
        const r = await checkSt(fileWithRawHeader(mutated));
        expect(codes(r)).toEqual(["invalid-utf8"]);
        expect(!r.ok && r.problems[0].offset).toBe(8 + cut);
      }),
      300,
    );
  });

  it("safetensors: truncation at every length of a valid file", async () => {
    const bytes = buildSafetensors({ metadata: { format: "pt" }, tensors: { "a.weight": { dtype: "BF16", shape: [16], fill: "gemma-like" }, "b.weight": { dtype: "F32", shape: [8] } } }).bytes;
    for (let len = 0; len < bytes.length; len++) {
      const r = await checkSt(bytes.subarray(0, len));
      expect(r.ok, `prefix of ${len} bytes`).toBe(false);
    }
    expect((await checkSt(bytes)).ok).toBe(true);
    cases += bytes.length + 1;
  });

  it("safetensors: random bytes", async () => {
    await run(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.boolean(), async (raw, withLength) => {
        const bytes = withLength && raw.length > 8 ? setU64(raw, 0, BigInt(raw.length - 8)) : raw;
        await checkSt(bytes);
      }),
      500,
    );
  });

  it("norm weights with NaN and infinities: read, counted, classified without throwing", async () => {
    const value = fc.oneof(fc.float({ noDefaultInfinity: false, noNaN: false }), fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, 1));
    await run(
      fc.asyncProperty(fc.array(fc.array(value, { minLength: 1, maxLength: 64 }), { minLength: 1, maxLength: 6 }), fc.constantFrom("F32", "F16", "BF16"), async (tensors, dtype) => {
        const desc = Object.fromEntries(tensors.map((v, i) => [`model.layers.${i}.input_layernorm.weight`, { dtype, shape: [v.length], values: v }]));
        const bytes = buildSafetensors({ tensors: desc }).bytes;
        const src = bytesSource(bytes);
        const r = await checkSt(bytes);
        if (!r.ok) throw new Error("expected ok");
        const read = [];
        for (const t of r.header.tensors) {
          const x = await readTensor(src, r.header, t.name);
          if (!x.ok) throw new Error(x.message);
          read.push({ name: t.name, data: x.data });
        }
        const s = normStats(read);
        const nonFinite = read.reduce((n, t) => n + t.data.filter((v) => !Number.isFinite(v)).length, 0);
        expect(s.nonFinite).toBe(nonFinite);
        for (const t of s.tensors) if (t.finite) expect(Number.isFinite(t.mean) || Math.abs(t.mean) === Infinity).toBe(true);
      }),
      300,
    );
  });

  // ---- GGUF ----
  const ggufFile = () =>
    buildGguf({
      metadata: {
        "general.architecture": "gemma2",
        "gemma2.attention.layer_norm_rms_epsilon": { type: "f32", value: 1e-6 },
        "tokenizer.ggml.tokens": { type: "arr", itemType: "str", items: ["a", "bb", "ccc"] },
        "x.nested": { type: "arr", itemType: "arr", items: [{ type: "arr", itemType: "u16", items: [{ type: "u16", value: 7 }] }] },
      },
      tensors: { "blk.0.attn_norm.weight": { type: "F32", dims: [8], fill: "gemma-like" }, "output_norm.weight": { type: "BF16", dims: [16] } },
    });

  async function checkGguf(bytes: Uint8Array, opts = {}): Promise<GgufResult> {
    const src = countingSource(bytesSource(bytes));
    const r = await settle(readGgufHeader(src, opts));
    expect(src.bytesRead).toBeLessThanOrEqual(bytes.length);
    if (r.ok) {
      for (const t of r.header.tensors) {
        expect(r.header.dataStart + t.offset + t.byteLength).toBeLessThanOrEqual(bytes.length);
        const x = await settle(readGgufTensor(bytesSource(bytes), r.header, t.name));
        if (!x.ok) expect(x.reason).toBe("not-decoded");
      }
    } else {
      expect(r.problems.length).toBeGreaterThan(0);
      expect(codes(r)).not.toContain("read-error");
    }
    tally(r);
    return r;
  }

  it("GGUF: mutated files", async () => {
    const bytes = ggufFile();
    const headerEnd = indexOfBytes(bytes, enc.encode("output_norm.weight")) + 40;
    await run(fc.asyncProperty(byteMutations, async (ops) => void (await checkGguf(mutateBytes(bytes, ops, headerEnd)))), 3000);
  });

  it("GGUF: tensor and key/value counts anywhere in 0..2^64-1", async () => {
    const count = fc.oneof(fc.bigInt({ min: 0n, max: U64_MAX }), fc.bigInt({ min: 0n, max: 100n }), fc.constantFrom(U64_MAX, 1n << 63n, (1n << 63n) - 1n));
    await run(
      fc.asyncProperty(count, count, async (tensorsN, kvN) => {
        const bytes = setU64(setU64(ggufFile(), 8, tensorsN), 16, kvN);
        const r = await checkGguf(bytes);
        if (tensorsN !== 2n || kvN !== 4n) expect(r.ok).toBe(false);
      }),
      500,
    );
  });

  it("GGUF: string and array lengths beyond the end of the file", async () => {
    const bytes = ggufFile();
    // Every u64 length field: keys, string values, array counts, tensor names.
    const fields: number[] = [];
    for (const s of ["general.architecture", "gemma2", "gemma2.attention.layer_norm_rms_epsilon", "tokenizer.ggml.tokens", "bb", "ccc", "x.nested", "blk.0.attn_norm.weight", "output_norm.weight"]) {
      fields.push(indexOfBytes(bytes, enc.encode(s)) - 8);
    }
    await run(
      fc.asyncProperty(fc.constantFrom(...fields), fc.oneof(fc.bigInt({ min: 0n, max: U64_MAX }), fc.bigInt({ min: 0n, max: BigInt(bytes.length * 2) })), async (field, n) => {
        await checkGguf(setU64(bytes, field, n));
      }),
      300,
    );
  });

  it("GGUF: nested arrays of any depth", async () => {
    const nest = (d: number, width: number): GgufMeta => (d === 0 ? { type: "arr", itemType: "str", items: ["x"] } : { type: "arr", itemType: "arr", items: Array.from({ length: width }, () => nest(d - 1, width)) });
    await run(
      fc.asyncProperty(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 2 }), async (depth, width) => {
        const d = width === 2 ? Math.min(depth, 10) : depth;
        const r = await checkGguf(buildGguf({ metadata: { n: nest(d, width) } }));
        expect(codes(r)).toEqual(d + 1 > 16 ? ["too-deep"] : []);
      }),
      200,
    );
  });

  it("GGUF: truncation at every length, and random bytes", async () => {
    const bytes = buildGguf({ metadata: { "general.architecture": "llama" }, tensors: { a: { type: "F32", dims: [8] }, b: { type: "F16", dims: [16] } } });
    for (let len = 0; len < bytes.length; len++) expect((await checkGguf(bytes.subarray(0, len))).ok, `prefix of ${len}`).toBe(false);
    expect((await checkGguf(bytes)).ok).toBe(true);
    cases += bytes.length + 1;
    const prefix = bytes.subarray(0, 8);
    await run(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.boolean(), async (raw, magic) => {
        await checkGguf(magic ? new Uint8Array([...prefix, ...raw]) : raw);
      }),
      800,
    );
  });

  it("ran thousands of cases", () => {
    expect(cases).toBeGreaterThan(5000);
    const seen = [...outcomes].sort((a, b) => b[1] - a[1]);
    console.log(`checkpoint reader fuzz: ${cases} cases; outcomes: ${seen.map(([k, n]) => `${k} ${n}`).join(", ")}`);
    // Accepted files and a broad set of distinct problems both came up.
    expect(outcomes.get("safetensors ok") ?? 0).toBeGreaterThan(100);
    expect(outcomes.get("gguf ok") ?? 0).toBeGreaterThan(20);
    expect(outcomes.size).toBeGreaterThan(25);
  });
});

describe("sparse 20 GB files", () => {
  const dir = mkdtempSync(join(tmpdir(), "normlint-ckpt-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const GB20 = 20 * 1000 ** 3;

  async function sparse(path: string, head: Uint8Array, total: number): Promise<void> {
    const fh = await open(path, "w");
    try {
      await fh.write(head, 0, head.length, 0);
      await fh.truncate(total);
    } finally {
      await fh.close();
    }
  }

  async function measure<T>(path: string, fn: (src: ByteSource) => Promise<T>): Promise<{ result: T; bytesRead: number; reads: number }> {
    const file = await openFileSource(path);
    try {
      const src = countingSource(file);
      const result = await fn(src);
      return { result, bytesRead: src.bytesRead, reads: src.reads };
    } finally {
      await file.close();
    }
  }

  it("safetensors: the header of a 20 GB file costs the bytes of a 1 MB one", async () => {
    const N = 4096;
    const make = async (name: string, total: number) => {
      const data = total - 8 - N;
      const header = {
        __metadata__: { format: "pt" },
        "model.norm.weight": { dtype: "BF16", shape: [4096], data_offsets: [0, 8192] },
        "model.embed_tokens.weight": { dtype: "U8", shape: [data - 8192], data_offsets: [8192, data] },
      };
      await sparse(join(dir, name), encodeSafetensorsHeader(header, { length: N }), total);
      return join(dir, name);
    };
    const small = await make("small.safetensors", 1024 * 1024);
    const big = await make("big.safetensors", GB20);
    const a = await measure(small, (s) => readSafetensorsHeader(s));
    const b = await measure(big, (s) => readSafetensorsHeader(s));
    expect(a.result.ok && b.result.ok).toBe(true);
    expect(b.bytesRead).toBe(a.bytesRead);
    expect(b.bytesRead).toBe(8 + N);
    expect(b.reads).toBe(a.reads);
    // And one norm tensor of the 20 GB file is 8 KiB of reading.
    const t = await measure(big, async (s) => {
      const r = await readSafetensorsHeader(s);
      if (!r.ok) throw new Error("expected ok");
      return readTensor(s, r.header, "model.norm.weight");
    });
    expect(t.result.ok && t.result.data.length).toBe(4096);
    expect(t.bytesRead).toBe(8 + N + 8192);
  });

  it("GGUF: the header of a 20 GB file costs the bytes of a 1 MB one", async () => {
    const make = async (name: string, total: number) => {
      const desc = {
        metadata: { "general.architecture": "llama", "tokenizer.ggml.tokens": { type: "arr" as const, itemType: "str" as const, items: Array.from({ length: 3000 }, (_, i) => `t${i}`) } },
        tensors: { "output_norm.weight": { type: "F32", dims: [4096] }, "token_embd.weight": { type: "Q8_0", dims: [4096, 1] } },
      };
      const probe = buildGgufHeader(desc);
      const rows = Math.floor((total - probe.bytes.length - 4096 * 4) / (128 * 34));
      const head = buildGgufHeader({ ...desc, tensors: { ...desc.tensors, "token_embd.weight": { type: "Q8_0", dims: [4096, rows] } } });
      await sparse(join(dir, name), head.bytes, head.bytes.length + head.dataSize);
      return join(dir, name);
    };
    const a = await measure(await make("small.gguf", 1024 * 1024), (s) => readGgufHeader(s));
    const b = await measure(await make("big.gguf", GB20), (s) => readGgufHeader(s));
    if (!a.result.ok) throw new Error(JSON.stringify(a.result.problems));
    expect(b.result.ok).toBe(true);
    expect(b.bytesRead).toBe(a.bytesRead);
    expect(b.bytesRead).toBeLessThanOrEqual(64 * 1024);
  });
});
