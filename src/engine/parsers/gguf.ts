// GGUF headers (v2 and v3, little-endian), checked as llama.cpp's loader (ggml/src/gguf.cpp,
// `gguf_init_from_reader`) checks them, with byte offsets for every problem.
//
// Layout: "GGUF", u32 version, u64 tensor_count, u64 kv_count; kv_count pairs of (string key,
// u32 value type, value); tensor_count infos of (string name, u32 n_dims, n_dims x u64 ne, u32 ggml
// type, u64 offset); padding to `general.alignment` (default 32); the data section. Strings are a u64
// byte length and UTF-8 bytes; arrays are a u32 item type, a u64 count and the items.
//
// The header is read through the ByteSource in chunks (64 KiB, growing to 1 MiB for large tokenizer
// arrays), so its cost depends on the header, never on the file: a 20 GB file costs what a 1 MB one
// does. Every count and length is checked against the bytes left in the file and against a cap
// before anything is allocated or read.
import { type ByteSource, formatBytes, readExactly } from "../io";
import { decodeBF16, decodeF16, decodeF32, decodeF64 } from "../numerics/dtypes";

/** GGUF metadata value types, by their numeric id. */
export const GGUF_VALUE_TYPES = ["u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "arr", "u64", "i64", "f64"] as const;
export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];
const SCALAR_SIZE: Partial<Record<GgufValueType, number>> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4, f32: 4, bool: 1, u64: 8, i64: 8, f64: 8 };

export interface GgmlType {
  name: string;
  /** Elements per block (1 for plain types). */
  blockSize: number;
  /** Bytes per block. */
  typeSize: number;
}

/**
 * ggml tensor types (ggml/include/ggml.h, GGML_TYPE_COUNT = 40) with block and type sizes from
 * ggml-common.h; ids 4, 5 and 31-33, 36-38 were removed from GGUF files and are refused, as llama.cpp
 * refuses them.
 */
export const GGML_TYPES: Readonly<Record<number, GgmlType>> = Object.fromEntries(
  (
    [
      [0, "F32", 1, 4], [1, "F16", 1, 2], [2, "Q4_0", 32, 18], [3, "Q4_1", 32, 20], [6, "Q5_0", 32, 22],
      [7, "Q5_1", 32, 24], [8, "Q8_0", 32, 34], [9, "Q8_1", 32, 36], [10, "Q2_K", 256, 84], [11, "Q3_K", 256, 110],
      [12, "Q4_K", 256, 144], [13, "Q5_K", 256, 176], [14, "Q6_K", 256, 210], [15, "Q8_K", 256, 292],
      [16, "IQ2_XXS", 256, 66], [17, "IQ2_XS", 256, 74], [18, "IQ3_XXS", 256, 98], [19, "IQ1_S", 256, 50],
      [20, "IQ4_NL", 32, 18], [21, "IQ3_S", 256, 110], [22, "IQ2_S", 256, 82], [23, "IQ4_XS", 256, 136],
      [24, "I8", 1, 1], [25, "I16", 1, 2], [26, "I32", 1, 4], [27, "I64", 1, 8], [28, "F64", 1, 8],
      [29, "IQ1_M", 256, 56], [30, "BF16", 1, 2], [34, "TQ1_0", 256, 54], [35, "TQ2_0", 256, 66], [39, "MXFP4", 32, 17],
    ] as Array<[number, string, number, number]>
  ).map(([id, name, blockSize, typeSize]) => [id, { name, blockSize, typeSize }]),
);

const FLOAT_DECODERS: Record<number, (b: Uint8Array) => Float32Array> = { 0: decodeF32, 1: decodeF16, 28: decodeF64, 30: decodeBF16 };
const INTEGER_TYPES = new Set([24, 25, 26, 27]);

/** llama.cpp's GGML_MAX_DIMS and GGML_MAX_NAME. */
const MAX_DIMS = 4;
const MAX_NAME = 64;
const INT64_MAX = (1n << 63n) - 1n;
const DEFAULT_ALIGNMENT = 32;
const MAX_CHUNK = 1024 * 1024;

export interface GgufOptions {
  /** Longest string (key, value or name) in bytes; default 64 MiB (llama.cpp: 1 GiB). */
  maxStringLength?: number;
  /** Most items in one array; default 2^26 (llama.cpp: 2^30). */
  maxArrayLength?: number;
  /** Most key/value pairs; default 1,000,000. */
  maxKvCount?: number;
  /** Most tensors; default 1,000,000. */
  maxTensors?: number;
  /** Deepest nesting of arrays in arrays; default 16 (llama.cpp reads none). */
  maxArrayDepth?: number;
  /** Largest header: reading stops with a problem past this file offset; default 512 MiB. */
  maxHeaderBytes?: number;
  /** Arrays up to this length keep their items; longer ones (tokenizer vocabularies) keep only the length. Default 4,096. */
  maxStoredArrayItems?: number;
  /** First read size; default 64 KiB. */
  chunkBytes?: number;
}

export type GgufValue = number | bigint | boolean | string | GgufArray;

export interface GgufArray {
  itemType: GgufValueType;
  length: number;
  /** Undefined when the array is longer than `maxStoredArrayItems` (skipped, not decoded). */
  items: GgufValue[] | undefined;
}

export interface GgufKv {
  key: string;
  type: GgufValueType;
  value: GgufValue;
  /** File offset of the key. */
  offset: number;
}

export interface GgufTensorInfo {
  name: string;
  /** ggml order: dims[0] is the fastest-varying (PyTorch's last) dimension. */
  dims: number[];
  type: number;
  typeName: string;
  /** Offset from the start of the data section. */
  offset: number;
  byteLength: number;
  elementCount: number;
  /** File offset of the tensor info (its name). */
  infoOffset: number;
}

export interface GgufHeader {
  version: number;
  tensorCount: number;
  kvCount: number;
  metadata: Map<string, GgufKv>;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** File offset of the data section (aligned). */
  dataStart: number;
  /** File offset just past the last tensor info: the header bytes proper. */
  headerEnd: number;
}

export type GgufProblemCode =
  | "file-too-small"
  | "bad-magic"
  | "big-endian"
  | "unsupported-version"
  | "truncated"
  | "count-too-large"
  | "string-too-long"
  | "array-too-long"
  | "invalid-value-type"
  | "too-deep"
  | "header-too-large"
  | "empty-key"
  | "duplicate-key"
  | "invalid-alignment"
  | "name-too-long"
  | "duplicate-tensor"
  | "too-many-dims"
  | "invalid-dim"
  | "too-many-elements"
  | "unknown-ggml-type"
  | "block-mismatch"
  | "misaligned-offset"
  | "unexpected-offset"
  | "out-of-bounds"
  | "read-error";

export interface GgufProblem {
  code: GgufProblemCode;
  message: string;
  /** Byte offset into the file. */
  offset: number;
}

export type GgufResult = { ok: true; header: GgufHeader } | { ok: false; problems: GgufProblem[] };

/** Thrown inside the reader when parsing cannot go on; caught at the top and reported. */
class Stop {
  constructor(readonly problem: GgufProblem) {}
}

const utf8 = new TextDecoder("utf-8");

/** Sequential little-endian reads through a ByteSource, buffered by chunk. */
class Cursor {
  pos = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(this.buf.buffer);
  private start = 0;
  private end = 0;

  constructor(
    private readonly src: ByteSource,
    private chunk: number,
    private readonly limit: number,
  ) {}

  get remaining(): number {
    return this.src.size - this.pos;
  }

  /** True when `n` bytes from `pos` are buffered: hot loops test this before awaiting `need`. */
  has(n: number): boolean {
    return this.pos + n <= this.end;
  }

  /** Makes `n` bytes from `pos` available; refuses to go past the file or the read budget. */
  async need(n: number, what: string): Promise<void> {
    if (this.pos + n <= this.end) return;
    if (this.pos + n > this.src.size) {
      throw new Stop({ code: "truncated", message: `the file ends inside ${what} (at byte ${this.pos}, ${n} bytes needed, ${Math.max(0, this.src.size - this.pos)} left)`, offset: this.pos });
    }
    if (this.pos + n > this.limit) {
      throw new Stop({ code: "header-too-large", message: `the header goes past ${formatBytes(this.limit)} (the maxHeaderBytes cap) while reading ${what}`, offset: this.pos });
    }
    const length = Math.min(this.src.size - this.pos, Math.max(n, this.chunk));
    const bytes = await readExactly(this.src, this.pos, length);
    if (!bytes) throw new Stop({ code: "truncated", message: `the file could not be read at byte ${this.pos}`, offset: this.pos });
    this.buf = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.start = this.pos;
    this.end = this.pos + bytes.length;
    // Doubling keeps the read count low for multi-MiB vocabularies; the cap bounds the read-ahead
    // past the header's end to 1 MiB.
    this.chunk = Math.min(this.chunk * 2, MAX_CHUNK);
  }

  /** Moves past `n` bytes without reading them. */
  skip(n: number, what: string): void {
    if (this.pos + n > this.src.size) {
      throw new Stop({ code: "truncated", message: `the file ends inside ${what} (${n} bytes from byte ${this.pos}, ${this.src.size - this.pos} left)`, offset: this.pos });
    }
    this.pos += n;
  }

  // The typed reads assume `need` was awaited for their width.
  u8(): number {
    return this.buf[this.pos++ - this.start];
  }
  u32(): number {
    const v = this.view.getUint32(this.pos - this.start, true);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    const v = this.view.getBigUint64(this.pos - this.start, true);
    this.pos += 8;
    return v;
  }
  scalar(type: GgufValueType): number | bigint | boolean {
    const at = this.pos - this.start;
    const v = this.view;
    let out: number | bigint | boolean;
    switch (type) {
      case "u8": out = v.getUint8(at); break;
      case "i8": out = v.getInt8(at); break;
      case "u16": out = v.getUint16(at, true); break;
      case "i16": out = v.getInt16(at, true); break;
      case "u32": out = v.getUint32(at, true); break;
      case "i32": out = v.getInt32(at, true); break;
      case "f32": out = v.getFloat32(at, true); break;
      case "bool": out = v.getUint8(at) !== 0; break;
      case "u64": out = v.getBigUint64(at, true); break;
      case "i64": out = v.getBigInt64(at, true); break;
      default: out = v.getFloat64(at, true); break;
    }
    this.pos += SCALAR_SIZE[type]!;
    return out;
  }
  text(n: number): string {
    const at = this.pos - this.start;
    this.pos += n;
    return utf8.decode(this.buf.subarray(at, at + n));
  }
}

interface Limits {
  maxStringLength: number;
  maxArrayLength: number;
  maxKvCount: number;
  maxTensors: number;
  maxArrayDepth: number;
  maxHeaderBytes: number;
  maxStoredArrayItems: number;
}

/**
 * Reads and checks a GGUF header. Reads the header (plus at most one chunk of read-ahead) and
 * nothing of the tensor data. Never throws: a failing source is a problem too.
 */
export async function readGgufHeader(src: ByteSource, opts: GgufOptions = {}): Promise<GgufResult> {
  const limits: Limits = {
    maxStringLength: opts.maxStringLength ?? 64 * 1024 * 1024,
    maxArrayLength: opts.maxArrayLength ?? 2 ** 26,
    maxKvCount: opts.maxKvCount ?? 1_000_000,
    maxTensors: opts.maxTensors ?? 1_000_000,
    maxArrayDepth: opts.maxArrayDepth ?? 16,
    maxHeaderBytes: opts.maxHeaderBytes ?? 512 * 1024 * 1024,
    maxStoredArrayItems: opts.maxStoredArrayItems ?? 4096,
  };
  const problems: GgufProblem[] = [];
  const cursor = new Cursor(src, Math.max(64, opts.chunkBytes ?? 64 * 1024), limits.maxHeaderBytes);
  try {
    const header = await readHeader(cursor, src.size, limits, problems);
    if (problems.length === 0 && header) return { ok: true, header };
  } catch (err) {
    if (err instanceof Stop) problems.push(err.problem);
    else problems.push({ code: "read-error", message: `could not read the file: ${(err as Error).message}`, offset: cursor.pos });
  }
  problems.sort((a, b) => a.offset - b.offset);
  return { ok: false, problems };
}

async function readHeader(c: Cursor, size: number, limits: Limits, problems: GgufProblem[]): Promise<GgufHeader | undefined> {
  if (size < 24) {
    problems.push({ code: "file-too-small", message: `the file is ${size} bytes; a GGUF header needs at least 24`, offset: 0 });
    return undefined;
  }
  await c.need(24, "the file header");
  const magic = [c.u8(), c.u8(), c.u8(), c.u8()];
  const magicText = String.fromCharCode(...magic);
  if (magicText === "FUGG") {
    problems.push({ code: "big-endian", message: "the magic reads \"FUGG\": a byte-swapped (big-endian) GGUF file; normlint reads little-endian GGUF only", offset: 0 });
    return undefined;
  }
  if (magicText !== "GGUF") {
    const shown = magic.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "?")).join("");
    problems.push({ code: "bad-magic", message: `not a GGUF file: it starts with "${shown}", not "GGUF"`, offset: 0 });
    return undefined;
  }
  const version = c.u32();
  // llama.cpp's test: a v3 file from a big-endian host reads as 0x03000000 here.
  if (version !== 0 && (version & 0xffff) === 0) {
    problems.push({ code: "big-endian", message: `the version reads as 0x${version.toString(16)}: a big-endian GGUF file (version ${swap32(version)}); normlint reads little-endian GGUF only`, offset: 4 });
    return undefined;
  }
  if (version !== 2 && version !== 3) {
    const why = version === 1 ? "GGUF v1 is no longer supported by llama.cpp" : version === 0 ? "version 0 is invalid" : "only versions 2 and 3 are known";
    problems.push({ code: "unsupported-version", message: `GGUF version ${version}: ${why}`, offset: 4 });
    return undefined;
  }
  const tensorCount64 = c.u64();
  const kvCount64 = c.u64();
  // Smallest encodings: a key/value pair takes 8 + 4 + 1 bytes, a tensor info 8 + 4 + 4 + 8.
  const room = BigInt(size - 24);
  const countProblem = (what: string, n: bigint, cap: number, min: number) => {
    if (n > INT64_MAX) return `the ${what} count ${n} is negative as a signed 64-bit value`;
    if (n > BigInt(cap)) return `the ${what} count ${n} is over the cap of ${cap.toLocaleString("en-US")}`;
    if (n * BigInt(min) > room) return `the ${what} count ${n} cannot fit in the ${size}-byte file`;
    return undefined;
  };
  const tensorIssue = countProblem("tensor", tensorCount64, limits.maxTensors, 24);
  const kvIssue = countProblem("key/value", kvCount64, limits.maxKvCount, 13);
  if (tensorIssue) problems.push({ code: "count-too-large", message: tensorIssue, offset: 8 });
  if (kvIssue) problems.push({ code: "count-too-large", message: kvIssue, offset: 16 });
  if (tensorIssue || kvIssue) return undefined;
  const tensorCount = Number(tensorCount64);
  const kvCount = Number(kvCount64);

  const metadata = new Map<string, GgufKv>();
  for (let i = 0; i < kvCount; i++) {
    const offset = c.pos;
    const key = await readString(c, limits, `key ${i}`);
    if (key.length === 0) problems.push({ code: "empty-key", message: `key/value pair ${i} has an empty key`, offset });
    else if (metadata.has(key)) problems.push({ code: "duplicate-key", message: `the key \`${key}\` appears twice (llama.cpp refuses the file)`, offset });
    await c.need(4, `the type of \`${key}\``);
    const typeAt = c.pos;
    const type = valueType(c.u32(), typeAt, key);
    const value = await readValue(c, type, key, 0, limits);
    if (!metadata.has(key)) metadata.set(key, { key, type, value, offset });
  }

  let alignment = DEFAULT_ALIGNMENT;
  const align = metadata.get("general.alignment");
  if (align) {
    if (align.type !== "u32") {
      problems.push({ code: "invalid-alignment", message: `general.alignment must be a u32, not ${align.type}`, offset: align.offset });
    } else {
      const a = align.value as number;
      if (a === 0 || (a & (a - 1)) !== 0) problems.push({ code: "invalid-alignment", message: `general.alignment is ${a}, not a power of 2`, offset: align.offset });
      else alignment = a;
    }
  }

  const tensors: GgufTensorInfo[] = [];
  const infos: Array<{ info: GgufTensorInfo; offset64: bigint; sized: boolean }> = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const infoOffset = c.pos;
    const name = await readString(c, limits, `tensor name ${i}`);
    const nameBytes = c.pos - infoOffset - 8;
    if (nameBytes >= MAX_NAME) problems.push({ code: "name-too-long", message: `tensor name \`${name.slice(0, 80)}\` is ${nameBytes} bytes; llama.cpp refuses names of ${MAX_NAME} bytes or more`, offset: infoOffset });
    if (names.has(name)) problems.push({ code: "duplicate-tensor", message: `the tensor \`${name}\` is listed twice`, offset: infoOffset });
    names.add(name);
    await c.need(4, `the dimension count of \`${name}\``);
    const nDimsAt = c.pos;
    const nDims = c.u32();
    if (nDims > MAX_DIMS) {
      const problem = { code: "too-many-dims" as const, message: `tensor \`${name}\` has ${nDims} dimensions; ggml allows at most ${MAX_DIMS}`, offset: nDimsAt };
      // A few extra dimensions can be skipped to keep checking; a wild count means the bytes are garbage.
      if (nDims > 64) throw new Stop(problem);
      problems.push(problem);
    }
    await c.need(nDims * 8 + 4 + 8, `the shape of \`${name}\``);
    const dims: bigint[] = [];
    let sized = nDims <= MAX_DIMS;
    for (let d = 0; d < nDims; d++) {
      const at = c.pos;
      const ne = c.u64();
      if (ne > INT64_MAX) {
        problems.push({ code: "invalid-dim", message: `tensor \`${name}\` dimension ${d} is negative (${BigInt.asIntN(64, ne)})`, offset: at });
        sized = false;
      }
      dims.push(ne);
    }
    let elements = 1n;
    for (const ne of dims) elements *= ne;
    if (sized && elements > INT64_MAX - 1n) {
      problems.push({ code: "too-many-elements", message: `tensor \`${name}\` has ${elements} elements, more than a signed 64-bit count holds`, offset: nDimsAt });
      sized = false;
    }
    const typeAt = c.pos;
    const type = c.u32();
    const ggml = GGML_TYPES[type];
    if (!ggml) {
      problems.push({ code: "unknown-ggml-type", message: `tensor \`${name}\` has the ggml type ${type}, unknown or removed from GGUF`, offset: typeAt });
      sized = false;
    } else if (dims.length > 0 && dims[0] % BigInt(ggml.blockSize) !== 0n) {
      problems.push({ code: "block-mismatch", message: `tensor \`${name}\` has rows of ${dims[0]} elements, not a multiple of the ${ggml.name} block size ${ggml.blockSize}`, offset: typeAt });
      sized = false;
    }
    const offset64 = c.u64();
    const byteLength = sized && ggml ? (elements / BigInt(ggml.blockSize)) * BigInt(ggml.typeSize) : 0n;
    const info: GgufTensorInfo = {
      name,
      dims: dims.map(Number),
      type,
      typeName: ggml?.name ?? `type ${type}`,
      offset: Number(offset64),
      byteLength: Number(byteLength),
      elementCount: Number(elements),
      infoOffset,
    };
    infos.push({ info, offset64, sized });
    tensors.push(info);
  }
  const headerEnd = c.pos;
  const dataStart = tensorCount > 0 ? Math.ceil(headerEnd / alignment) * alignment : headerEnd;
  if (tensorCount > 0 && dataStart > size) {
    problems.push({ code: "truncated", message: `the data section would start at byte ${dataStart}, past the end of the ${size}-byte file`, offset: headerEnd });
  }

  // llama.cpp requires the tensors back to back in info order, each padded to the alignment.
  let expected: bigint | undefined = 0n;
  const a = BigInt(alignment);
  const room64 = BigInt(Math.max(0, size - dataStart));
  for (const { info, offset64, sized } of infos) {
    const at = info.infoOffset;
    if (offset64 % a !== 0n) {
      problems.push({ code: "misaligned-offset", message: `tensor \`${info.name}\` has the data offset ${offset64}, not a multiple of the alignment ${alignment}`, offset: at });
    } else if (expected !== undefined && offset64 !== expected) {
      problems.push({ code: "unexpected-offset", message: `tensor \`${info.name}\` has the data offset ${offset64} but the previous tensors end at ${expected} (llama.cpp requires them back to back)`, offset: at });
    }
    if (!sized) {
      expected = undefined;
      continue;
    }
    const len = BigInt(info.byteLength);
    if (offset64 + len > room64) {
      problems.push({ code: "out-of-bounds", message: `tensor \`${info.name}\` (${len} bytes at data offset ${offset64}) ends past the end of the file (truncated download?)`, offset: at });
    }
    expected = offset64 + ((len + a - 1n) / a) * a;
  }

  return { version, tensorCount, kvCount, metadata, tensors, alignment, dataStart, headerEnd };
}

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

function valueType(id: number, at: number, key: string): GgufValueType {
  const type = GGUF_VALUE_TYPES[id];
  if (type === undefined) throw new Stop({ code: "invalid-value-type", message: `\`${key}\` has the value type ${id}; GGUF types are 0 to 12`, offset: at });
  return type;
}

async function readString(c: Cursor, limits: Limits, what: string): Promise<string> {
  await c.need(8, what);
  const at = c.pos;
  const n = c.u64();
  checkLength(c, n, at, limits, what);
  await c.need(Number(n), what);
  return c.text(Number(n));
}

function checkLength(c: Cursor, n: bigint, at: number, limits: Limits, what: string): void {
  if (n > BigInt(limits.maxStringLength)) {
    throw new Stop({ code: "string-too-long", message: `${what} claims ${n} bytes, over the ${formatBytes(limits.maxStringLength)} string cap`, offset: at });
  }
  if (n > BigInt(c.remaining)) {
    throw new Stop({ code: "truncated", message: `${what} claims ${n} bytes but only ${c.remaining} are left in the file`, offset: at });
  }
}

async function readValue(c: Cursor, type: GgufValueType, key: string, depth: number, limits: Limits): Promise<GgufValue> {
  if (type === "str") return readString(c, limits, `the value of \`${key}\``);
  if (type !== "arr") {
    await c.need(SCALAR_SIZE[type]!, `the value of \`${key}\``);
    return c.scalar(type);
  }
  if (depth >= limits.maxArrayDepth) {
    throw new Stop({ code: "too-deep", message: `\`${key}\` nests arrays more than ${limits.maxArrayDepth} deep`, offset: c.pos });
  }
  await c.need(12, `the array header of \`${key}\``);
  const typeAt = c.pos;
  const itemType = valueType(c.u32(), typeAt, key);
  const countAt = c.pos;
  const count64 = c.u64();
  // Each item takes at least its scalar size, a string at least its 8-byte length, an array 12 bytes.
  const min = SCALAR_SIZE[itemType] ?? (itemType === "str" ? 8 : 12);
  if (count64 > BigInt(limits.maxArrayLength)) {
    throw new Stop({ code: "array-too-long", message: `\`${key}\` claims ${count64} items, over the cap of ${limits.maxArrayLength.toLocaleString("en-US")}`, offset: countAt });
  }
  if (count64 * BigInt(min) > BigInt(c.remaining)) {
    throw new Stop({ code: "truncated", message: `\`${key}\` claims ${count64} ${itemType} items, more than the ${c.remaining} bytes left in the file hold`, offset: countAt });
  }
  const count = Number(count64);
  const keep = count <= limits.maxStoredArrayItems;
  const items: GgufValue[] | undefined = keep ? [] : undefined;
  const width = SCALAR_SIZE[itemType];
  if (width !== undefined) {
    if (!keep) {
      c.skip(count * width, `the array \`${key}\``);
    } else {
      await c.need(count * width, `the array \`${key}\``);
      for (let i = 0; i < count; i++) items!.push(c.scalar(itemType));
    }
  } else if (itemType === "str") {
    const what = `an item of \`${key}\``;
    // Vocabularies hold 100k-300k strings: await only when the buffer runs out.
    for (let i = 0; i < count; i++) {
      if (!c.has(8)) await c.need(8, what);
      const at = c.pos;
      const n = c.u64();
      checkLength(c, n, at, limits, what);
      if (keep) {
        if (!c.has(Number(n))) await c.need(Number(n), what);
        items!.push(c.text(Number(n)));
      } else {
        c.skip(Number(n), what);
      }
    }
  } else {
    for (let i = 0; i < count; i++) {
      const v = await readValue(c, "arr", key, depth + 1, limits);
      items?.push(v);
    }
  }
  return { itemType, length: count, items };
}

export type GgufTensorRead =
  | { ok: true; data: Float32Array; type: string; dims: number[] }
  | { ok: false; reason: "not-found" | "too-large" | "not-decoded" | "truncated" | "read-error"; message: string };

/**
 * Reads one tensor (only its bytes) and decodes F32, F16, BF16 or F64 to float32. Quantized and
 * integer types are reported as not decoded; tensors over `maxBytes` (default 64 MiB) are not read.
 */
export async function readGgufTensor(src: ByteSource, header: GgufHeader, name: string, opts: { maxBytes?: number } = {}): Promise<GgufTensorRead> {
  const t = header.tensors.find((x) => x.name === name);
  if (!t) return { ok: false, reason: "not-found", message: `no tensor \`${name}\` in the GGUF header` };
  const decode = FLOAT_DECODERS[t.type];
  if (!decode) {
    const kind = INTEGER_TYPES.has(t.type) ? "integer" : "quantized";
    return { ok: false, reason: "not-decoded", message: `tensor \`${name}\` has the ${kind} type ${t.typeName}; not decoded (F32, F16, BF16 and F64 are)` };
  }
  const cap = opts.maxBytes ?? 64 * 1024 * 1024;
  if (t.byteLength > cap) return { ok: false, reason: "too-large", message: `tensor \`${name}\` is ${formatBytes(t.byteLength)}, over the ${formatBytes(cap)} read cap; not read` };
  const at = header.dataStart + t.offset;
  if (at + t.byteLength > src.size) return { ok: false, reason: "truncated", message: `tensor \`${name}\` ends past the end of the file` };
  try {
    const bytes = await readExactly(src, at, t.byteLength);
    if (!bytes) return { ok: false, reason: "truncated", message: `the file ended while tensor \`${name}\` was read` };
    return { ok: true, data: decode(bytes), type: t.typeName, dims: t.dims };
  } catch (err) {
    return { ok: false, reason: "read-error", message: `could not read tensor \`${name}\`: ${(err as Error).message}` };
  }
}
