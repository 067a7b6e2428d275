// Builds safetensors and GGUF files in memory from small descriptions, so tests commit no binaries.
// Values come from a seeded RNG: the same description always gives the same bytes.
import { GGML_TYPES, GGUF_VALUE_TYPES, type GgufValueType } from "../../src/engine/parsers/gguf";
import { SAFETENSORS_DTYPE_BITS } from "../../src/engine/parsers/safetensors";
import { numberToBf16Bits, numberToE4m3fnBits, numberToE5m2Bits, numberToF16Bits } from "../../src/engine/numerics/dtypes";
import { mulberry32 } from "../../src/engine/numerics/random";

/** mulberry32 (shared with the Norm Lab): numbers in [0, 1). */
export const rng = mulberry32;

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/**
 * Norm-weight-like fills.
 * - gemma-like: stored as an offset from 1 (scale = 1 + w): per-tensor mean mostly in [-0.1, 0.3],
 *   some layers up to ~0.5, spread 0.05-0.5, 0.5% outliers of a few units.
 * - llama-like: stored as the scale: means near 1 (0.7-1.3), some late layers 0.3-2, spread
 *   0.02-0.3, mostly positive.
 * - gemma-folded / gemma-double: gemma-like with 1 / 2 added, as a converter that adds the offset
 *   once (llama.cpp, mlx-lm sanitize) or twice (a double shift) leaves them.
 */
export type Fill = "gemma-like" | "llama-like" | "gemma-folded" | "gemma-double" | "zeros" | "ones" | "normal" | "uniform-bytes";

export function fillValues(fill: Fill, count: number, seed = 1): Float64Array {
  const rand = rng(seed);
  const out = new Float64Array(count);
  if (fill === "zeros") return out;
  if (fill === "ones") return out.fill(1);
  if (fill === "normal") {
    for (let i = 0; i < count; i++) out[i] = gaussian(rand);
    return out;
  }
  if (fill === "uniform-bytes") {
    for (let i = 0; i < count; i++) out[i] = Math.floor(rand() * 256);
    return out;
  }
  if (fill === "gemma-folded" || fill === "gemma-double") {
    const shifted = fillValues("gemma-like", count, seed);
    for (let i = 0; i < count; i++) shifted[i] += fill === "gemma-folded" ? 1 : 2;
    return shifted;
  }
  let mean: number;
  let spread: number;
  if (fill === "gemma-like") {
    mean = rand() < 0.85 ? -0.1 + 0.4 * rand() : 0.3 + 0.2 * rand();
    spread = 0.05 + 0.45 * rand();
  } else {
    mean = rand() < 0.8 ? 0.7 + 0.6 * rand() : 0.3 + 1.7 * rand();
    spread = 0.02 + 0.28 * rand();
  }
  for (let i = 0; i < count; i++) {
    let v = mean + spread * gaussian(rand);
    if (rand() < 0.005) v += (rand() < 0.5 ? -1 : 1) * (2 + 6 * rand());
    if (fill === "llama-like" && v < 0 && rand() < 0.95) v = -v;
    out[i] = v;
  }
  return out;
}

/** Little-endian bytes of `values` in a safetensors dtype (or GGUF type name for F32/F16/BF16/F64). */
export function encodeValues(dtype: string, values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  const width = dtype === "F64" || dtype === "I64" || dtype === "U64" ? 8 : dtype === "F32" || dtype === "I32" || dtype === "U32" ? 4 : dtype === "F16" || dtype === "BF16" || dtype === "I16" || dtype === "U16" ? 2 : 1;
  const out = new Uint8Array(n * width);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const at = i * width;
    switch (dtype) {
      case "F64": view.setFloat64(at, v, true); break;
      case "F32": view.setFloat32(at, v, true); break;
      case "F16": view.setUint16(at, numberToF16Bits(v), true); break;
      case "BF16": view.setUint16(at, numberToBf16Bits(v), true); break;
      case "F8_E4M3": out[at] = numberToE4m3fnBits(v); break;
      case "F8_E5M2": out[at] = numberToE5m2Bits(v); break;
      case "I64": view.setBigInt64(at, BigInt(Math.trunc(v)), true); break;
      case "U64": view.setBigUint64(at, BigInt(Math.trunc(v)), true); break;
      case "I32": view.setInt32(at, v, true); break;
      case "U32": view.setUint32(at, v, true); break;
      case "I16": view.setInt16(at, v, true); break;
      case "U16": view.setUint16(at, v, true); break;
      case "I8": view.setInt8(at, v); break;
      default: out[at] = v & 0xff; // U8, BOOL and byte-wide formats given as raw bytes
    }
  }
  return out;
}

export interface TensorDesc {
  dtype: string;
  shape: number[];
  values?: ArrayLike<number>;
  fill?: Fill;
  seed?: number;
  /** Raw bytes, used as they are (for broken files and formats without an encoder). */
  bytes?: Uint8Array;
}

export interface CheckpointDesc {
  tensors: Record<string, TensorDesc>;
  metadata?: Record<string, string>;
}

function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function tensorBytes(name: string, t: TensorDesc, seedBase: number): Uint8Array {
  if (t.bytes) return t.bytes;
  const count = elementCount(t.shape);
  const bits = SAFETENSORS_DTYPE_BITS[t.dtype] ?? 8;
  if (t.values) return encodeValues(t.dtype, t.values);
  const fill = t.fill ?? (bits >= 16 || t.dtype.startsWith("F8") ? "normal" : "uniform-bytes");
  const seed = t.seed ?? seedBase + hash(name);
  if (bits < 8) return encodeValues("U8", fillValues("uniform-bytes", Math.ceil((count * bits) / 8), seed));
  return encodeValues(t.dtype, fillValues(fill, count, seed));
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** 8-byte length + JSON, padded with spaces to a multiple of `align` (8, as the Python writer does). */
export function encodeSafetensorsHeader(header: unknown, opts: { align?: number; length?: number } = {}): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  let n = json.length;
  if (opts.length !== undefined) {
    if (opts.length < n) throw new Error(`header is ${n} bytes, over the requested ${opts.length}`);
    n = opts.length;
  } else if (opts.align) n = Math.ceil(n / opts.align) * opts.align;
  const out = new Uint8Array(8 + n).fill(0x20, 8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  return out;
}

export interface BuiltSafetensors {
  bytes: Uint8Array;
  /** The header object as written. */
  header: Record<string, unknown>;
  headerLength: number;
}

/** A valid safetensors file: tensors in the given order, back to back, header padded to 8 bytes. */
export function buildSafetensors(desc: CheckpointDesc, opts: { align?: number; seed?: number } = {}): BuiltSafetensors {
  const header: Record<string, unknown> = {};
  if (desc.metadata) header.__metadata__ = desc.metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(desc.tensors)) {
    const data = tensorBytes(name, t, opts.seed ?? 0);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + data.length] };
    chunks.push(data);
    offset += data.length;
  }
  const head = encodeSafetensorsHeader(header, { align: opts.align ?? 8 });
  const bytes = new Uint8Array(head.length + offset);
  bytes.set(head);
  let at = head.length;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { bytes, header, headerLength: head.length - 8 };
}

/** Wraps a header (object or raw JSON text) and `dataBytes` of zeros (or given bytes) into a file. */
export function safetensorsFromHeader(header: unknown, data: number | Uint8Array = 0): Uint8Array {
  const head = encodeSafetensorsHeader(header);
  const body = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

// ---- GGUF ----

export type GgufMeta =
  | string
  | boolean
  | number
  | bigint
  | { type: Exclude<GgufValueType, "arr">; value: number | bigint | boolean | string }
  | { type: "arr"; itemType: GgufValueType; items: GgufMeta[] };

export interface GgufTensorDesc {
  /** ggml type name: F32, F16, BF16, F64, Q8_0, Q4_K, ... */
  type: string;
  /** ggml order (ne[0] first). */
  dims: number[];
  values?: ArrayLike<number>;
  fill?: Fill;
  seed?: number;
  bytes?: Uint8Array;
}

export interface GgufDesc {
  version?: number;
  metadata?: Record<string, GgufMeta>;
  tensors?: Record<string, GgufTensorDesc>;
  /** Written as general.alignment (u32) when set. */
  alignment?: number;
  /** Overrides for broken files. */
  tensorCount?: bigint;
  kvCount?: bigint;
}

class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private grow(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  bytes(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  u8(v: number): void {
    this.grow(1);
    this.view.setUint8(this.length++, v);
  }
  u32(v: number): void {
    this.grow(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  u64(v: bigint | number): void {
    this.grow(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  str(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  scalar(type: GgufValueType, v: number | bigint | boolean | string): void {
    this.grow(8);
    const at = this.length;
    const d = this.view;
    switch (type) {
      case "u8": d.setUint8(at, Number(v)); this.length += 1; return;
      case "i8": d.setInt8(at, Number(v)); this.length += 1; return;
      case "u16": d.setUint16(at, Number(v), true); this.length += 2; return;
      case "i16": d.setInt16(at, Number(v), true); this.length += 2; return;
      case "u32": d.setUint32(at, Number(v), true); this.length += 4; return;
      case "i32": d.setInt32(at, Number(v), true); this.length += 4; return;
      case "f32": d.setFloat32(at, Number(v), true); this.length += 4; return;
      case "bool": d.setUint8(at, v ? 1 : 0); this.length += 1; return;
      case "u64": d.setBigUint64(at, BigInt(v as number), true); this.length += 8; return;
      case "i64": d.setBigInt64(at, BigInt(v as number), true); this.length += 8; return;
      case "f64": d.setFloat64(at, Number(v), true); this.length += 8; return;
      case "str": this.str(String(v)); return;
      default: throw new Error(`not a scalar: ${type}`);
    }
  }
  pad(align: number): void {
    const target = Math.ceil(this.length / align) * align;
    this.grow(target - this.length);
    this.length = target;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function typeId(t: GgufValueType): number {
  return GGUF_VALUE_TYPES.indexOf(t);
}

function metaType(v: GgufMeta): GgufValueType {
  if (typeof v === "string") return "str";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "bigint") return "u64";
  if (typeof v === "number") return Number.isInteger(v) ? "u32" : "f32";
  return v.type;
}

function writeMeta(w: Writer, v: GgufMeta, withType: boolean): void {
  const type = metaType(v);
  if (withType) w.u32(typeId(type));
  if (typeof v !== "object") return w.scalar(type, v);
  if (v.type !== "arr") return w.scalar(v.type, v.value);
  w.u32(typeId(v.itemType));
  w.u64(v.items.length);
  for (const item of v.items) writeMeta(w, item, false);
}

const GGML_BY_NAME = new Map(Object.entries(GGML_TYPES).map(([id, t]) => [t.name, { id: Number(id), ...t }]));

function ggufTensorBytes(name: string, t: GgufTensorDesc): Uint8Array {
  if (t.bytes) return t.bytes;
  const g = GGML_BY_NAME.get(t.type);
  if (!g) throw new Error(`unknown ggml type ${t.type}`);
  const count = elementCount(t.dims);
  const seed = t.seed ?? hash(name);
  if (["F32", "F16", "BF16", "F64"].includes(t.type)) return encodeValues(t.type, t.values ?? fillValues(t.fill ?? "normal", count, seed));
  return encodeValues("U8", fillValues("uniform-bytes", (count / g.blockSize) * g.typeSize, seed));
}

/** GGUF header bytes (through the padding before the data section) and the data section size. */
export function buildGgufHeader(desc: GgufDesc, sizes?: Record<string, number>): { bytes: Uint8Array; dataSize: number; offsets: Record<string, number> } {
  const alignment = desc.alignment ?? 32;
  const meta: Record<string, GgufMeta> = { ...(desc.metadata ?? {}) };
  if (desc.alignment !== undefined) meta["general.alignment"] = { type: "u32", value: desc.alignment };
  const tensors = Object.entries(desc.tensors ?? {});
  const w = new Writer();
  w.bytes(new TextEncoder().encode("GGUF"));
  w.u32(desc.version ?? 3);
  w.u64(desc.tensorCount ?? BigInt(tensors.length));
  w.u64(desc.kvCount ?? BigInt(Object.keys(meta).length));
  for (const [key, v] of Object.entries(meta)) {
    w.str(key);
    writeMeta(w, v, true);
  }
  let offset = 0;
  const offsets: Record<string, number> = {};
  for (const [name, t] of tensors) {
    const g = GGML_BY_NAME.get(t.type);
    if (!g) throw new Error(`unknown ggml type ${t.type}`);
    w.str(name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(g.id);
    w.u64(offset);
    offsets[name] = offset;
    const size = sizes?.[name] ?? (elementCount(t.dims) / g.blockSize) * g.typeSize;
    offset += Math.ceil(size / alignment) * alignment;
  }
  if (tensors.length) w.pad(alignment);
  return { bytes: w.result(), dataSize: offset, offsets };
}

/** A valid GGUF file (v3 unless told otherwise), tensors back to back, each padded to the alignment. */
export function buildGguf(desc: GgufDesc): Uint8Array {
  const datas = Object.entries(desc.tensors ?? {}).map(([name, t]) => [name, ggufTensorBytes(name, t)] as const);
  const sizes = Object.fromEntries(datas.map(([n, b]) => [n, b.length]));
  const head = buildGgufHeader(desc, sizes);
  const out = new Uint8Array(head.bytes.length + head.dataSize);
  out.set(head.bytes);
  for (const [name, b] of datas) out.set(b, head.bytes.length + head.offsets[name]);
  return out;
}
