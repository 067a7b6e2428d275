// safetensors headers, validated as the reference implementation (huggingface/safetensors,
// safetensors/src/tensor.rs: `read_metadata` and `Metadata::validate`) does, so a file this reader
// accepts is one `safe_open` accepts, and a file it refuses gets every problem found, each with a
// byte offset into the file.
//
// Layout: 8 bytes little-endian u64 N, N bytes of UTF-8 JSON, then the data area. The JSON maps
// tensor names to {dtype, shape, data_offsets: [begin, end]} (offsets relative to the data area) and
// may hold "__metadata__": {string: string}. The reference requires the data area to be covered
// exactly: sorted by offsets, each tensor starts where the previous ended, the first at 0, the last
// at the end of the file; each byte length equals the element count times the dtype width.
import { type Node, type ParseError, parseTree, printParseErrorCode } from "jsonc-parser";
import { type ByteSource, formatBytes, readExactly } from "../io";
import { decodeBF16, decodeF16, decodeF32, decodeF64, decodeF8E4M3, decodeF8E5M2 } from "../numerics/dtypes";
import { firstInvalidUtf8, hasLoneSurrogate, utf8OffsetMapper } from "../util/utf8";
import { findExcessiveNesting } from "./json";

/** The reference's MAX_HEADER_SIZE. */
export const DEFAULT_MAX_HEADER_BYTES = 100_000_000;
/** readTensor reads at most this much unless told otherwise (a norm weight is a few KiB). */
export const DEFAULT_MAX_TENSOR_BYTES = 64 * 1024 * 1024;
/** serde_json's recursion limit: 128 nested arrays or objects fail. */
const MAX_JSON_DEPTH = 127;
const U64_MAX = (1n << 64n) - 1n;
// A BOM is kept as U+FEFF, which JSON (and serde_json) refuses.
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Element width in bits of every dtype the reference knows (its `Dtype` enum, 0.6): the classic
 * fifteen plus the microscaling and FNUZ formats and C64, so that no file it loads is refused here.
 */
export const SAFETENSORS_DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8,
  F8_E4M3FNUZ: 8, F8_E5M2FNUZ: 8, I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32,
  C64: 64, F64: 64, I64: 64, U64: 64,
};

/** The dtypes readTensor decodes to float32. */
export const DECODED_DTYPES = ["F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2"] as const;

export type SafetensorsProblemCode =
  | "file-too-small"
  | "header-too-large"
  | "header-beyond-eof"
  | "read-error"
  | "invalid-utf8"
  | "invalid-json"
  | "too-deep"
  | "not-an-object"
  | "invalid-metadata"
  | "duplicate-key"
  | "invalid-tensor"
  | "missing-field"
  | "unknown-dtype"
  | "invalid-shape"
  | "invalid-offsets"
  | "offsets-reversed"
  | "size-mismatch"
  | "overflow"
  | "misaligned"
  | "out-of-bounds"
  | "overlap"
  | "gap"
  | "trailing-bytes"
  | "unsupported-size";

export interface SafetensorsProblem {
  /** Stable id: tests and rules match on it, not on the message. */
  code: SafetensorsProblemCode;
  message: string;
  /** Byte offset into the file. */
  offset: number;
}

export interface SafetensorsTensor {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte offsets relative to the data area (`dataStart`). */
  begin: number;
  end: number;
  /** File byte offset of the tensor's name in the header, for reports. */
  keyOffset: number;
}

export interface SafetensorsHeader {
  /** N, the JSON length. */
  headerLength: number;
  /** 8 + N: where the data area starts. */
  dataStart: number;
  metadata: Record<string, string> | undefined;
  /** In data order (by begin, then end), as the reference keeps them. */
  tensors: SafetensorsTensor[];
}

export type SafetensorsResult = { ok: true; header: SafetensorsHeader } | { ok: false; problems: SafetensorsProblem[] };

export interface SafetensorsOptions {
  /** Largest N accepted; the reference refuses more than 100,000,000. */
  maxHeaderBytes?: number;
}

/**
 * Reads and validates a safetensors header. Reads at most 8 + N bytes (nothing past the header, and
 * nothing at all past 8 bytes when N is refused). Never throws: a failing source is a problem too.
 */
export async function readSafetensorsHeader(src: ByteSource, opts: SafetensorsOptions = {}): Promise<SafetensorsResult> {
  try {
    return await readHeader(src, opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES);
  } catch (err) {
    return fail("read-error", `could not read the file: ${(err as Error).message}`, 0);
  }
}

function fail(code: SafetensorsProblemCode, message: string, offset: number): SafetensorsResult {
  return { ok: false, problems: [{ code, message, offset }] };
}

async function readHeader(src: ByteSource, maxHeaderBytes: number): Promise<SafetensorsResult> {
  const size = src.size;
  if (size < 8) return fail("file-too-small", `the file is ${size} bytes; a safetensors file starts with an 8-byte header length`, 0);
  const prefix = await readExactly(src, 0, 8);
  if (!prefix) return fail("read-error", "the file ended before its first 8 bytes were read", 0);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);

  const problems: SafetensorsProblem[] = [];
  if (n > BigInt(maxHeaderBytes)) {
    problems.push({ code: "header-too-large", message: `the header length is ${n} bytes, over the ${maxHeaderBytes.toLocaleString("en-US")}-byte limit${maxHeaderBytes === DEFAULT_MAX_HEADER_BYTES ? " (safetensors itself refuses such files)" : ""}`, offset: 0 });
  }
  if (n > BigInt(size - 8)) {
    problems.push({ code: "header-beyond-eof", message: `the header length is ${n} bytes but only ${size - 8} bytes follow the length field (truncated file, or not safetensors)`, offset: 0 });
  }
  if (problems.length) return { ok: false, problems };

  const headerLength = Number(n);
  const dataStart = 8 + headerLength;
  const bytes = await readExactly(src, 8, headerLength);
  if (!bytes) return fail("read-error", "the file ended while its header was read", 8);

  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) return fail("invalid-utf8", `the header is not valid UTF-8 at byte ${8 + bad}`, 8 + bad);
  const text = utf8.decode(bytes);
  const toByte = utf8OffsetMapper(text);
  const at = (utf16: number) => 8 + toByte(utf16);

  const deep = findExcessiveNesting(text, MAX_JSON_DEPTH);
  if (deep >= 0) return fail("too-deep", `the header nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep`, at(deep));

  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  if (errors.length) {
    // Later errors are mostly the parser recovering from the first; only the first is reported.
    const e = errors[0];
    const what = e.offset >= text.length ? "unexpected end of the header" : `${words(printParseErrorCode(e.error))} at ${JSON.stringify(text.slice(e.offset, e.offset + Math.max(1, Math.min(e.length, 20))))}`;
    return fail("invalid-json", `the header is not valid JSON: ${what}`, at(e.offset));
  }
  if (!root || root.type !== "object") return fail("not-an-object", "the header is not a JSON object", at(root?.offset ?? 0));

  const loneSurrogates = /\\u[dD][89a-fA-F]/.test(text) ? findLoneSurrogates(root) : [];
  for (const node of loneSurrogates) {
    problems.push({ code: "invalid-json", message: "a string holds an unpaired surrogate escape (serde_json refuses it)", offset: at(node.offset) });
  }

  const dataSize = BigInt(size - dataStart);
  const tensors: Array<SafetensorsTensor & { b: bigint; e: bigint }> = [];
  const seen = new Set<string>();
  let metadata: Record<string, string> | undefined;
  // False when some entry has no usable offsets: holes and trailing bytes are then not reported,
  // since that entry may well be what fills them.
  let complete = true;

  for (const prop of root.children ?? []) {
    const [keyNode, valueNode] = prop.children ?? [];
    if (!keyNode || !valueNode) continue;
    const name = keyNode.value as string;
    const duplicate = seen.has(name);
    if (duplicate) {
      problems.push({ code: "duplicate-key", message: `\`${name}\` appears twice in the header (JSON readers keep only the last)`, offset: at(keyNode.offset) });
    }
    seen.add(name);
    if (name === "__metadata__") {
      if (!duplicate) metadata = readMetadata(valueNode, at, problems);
      continue;
    }
    // A duplicate's bytes are still in the file, so it takes part in the layout check.
    const t = readTensorInfo(name, keyNode, valueNode, text, at, dataSize, problems);
    if (t) tensors.push(t);
    else complete = false;
  }

  checkLayout(tensors, complete, dataSize, dataStart, problems);

  if (problems.length) {
    problems.sort((a, b) => a.offset - b.offset);
    return { ok: false, problems };
  }
  return {
    ok: true,
    header: { headerLength, dataStart, metadata, tensors: tensors.map(({ b: _b, e: _e, ...t }) => t) },
  };
}

function words(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

function findLoneSurrogates(root: Node): Node[] {
  const out: Node[] = [];
  const stack = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.type === "string" && hasLoneSurrogate(node.value as string)) out.push(node);
    if (node.children) stack.push(...node.children);
  }
  return out;
}

function readMetadata(node: Node, at: (o: number) => number, problems: SafetensorsProblem[]): Record<string, string> | undefined {
  // serde reads `null` as an absent Option.
  if (node.type === "null") return undefined;
  if (node.type !== "object") {
    problems.push({ code: "invalid-metadata", message: `\`__metadata__\` must be an object of strings, not ${describe(node)}`, offset: at(node.offset) });
    return undefined;
  }
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const prop of node.children ?? []) {
    const [k, v] = prop.children ?? [];
    if (!k || !v) continue;
    const key = k.value as string;
    if (seen.has(key)) {
      problems.push({ code: "duplicate-key", message: `\`__metadata__\` has the key \`${key}\` twice`, offset: at(k.offset) });
      continue;
    }
    seen.add(key);
    if (v.type !== "string") {
      problems.push({ code: "invalid-metadata", message: `\`__metadata__.${key}\` must be a string, not ${describe(v)}`, offset: at(v.offset) });
      continue;
    }
    out[key] = v.value as string;
  }
  return out;
}

function describe(node: Node): string {
  if (node.type === "array") return "an array";
  if (node.type === "object") return "an object";
  if (node.type === "null") return "null";
  return `the ${node.type} ${JSON.stringify(node.value)}`.slice(0, 60);
}

/** A non-negative integer written without sign, fraction or exponent, as serde reads a usize. */
function unsignedInteger(node: Node, text: string): bigint | undefined {
  if (node.type !== "number") return undefined;
  const raw = text.slice(node.offset, node.offset + node.length);
  if (!/^(0|[1-9][0-9]*)$/.test(raw)) return undefined;
  const v = BigInt(raw);
  return v <= U64_MAX ? v : undefined;
}

function readTensorInfo(
  name: string,
  keyNode: Node,
  node: Node,
  text: string,
  at: (o: number) => number,
  dataSize: bigint,
  problems: SafetensorsProblem[],
): (SafetensorsTensor & { b: bigint; e: bigint }) | undefined {
  const where = at(keyNode.offset);
  if (node.type !== "object") {
    problems.push({ code: "invalid-tensor", message: `tensor \`${name}\` must be an object with dtype, shape and data_offsets, not ${describe(node)}`, offset: at(node.offset) });
    return undefined;
  }
  const fields = new Map<string, Node>();
  for (const prop of node.children ?? []) {
    const [k, v] = prop.children ?? [];
    if (!k || !v) continue;
    const key = k.value as string;
    // serde refuses a repeated struct field; unknown fields it ignores, and so does this reader.
    if (fields.has(key)) problems.push({ code: "duplicate-key", message: `tensor \`${name}\` has the field \`${key}\` twice`, offset: at(k.offset) });
    else fields.set(key, v);
  }
  let ok = true;
  for (const f of ["dtype", "shape", "data_offsets"]) {
    if (!fields.has(f)) {
      problems.push({ code: "missing-field", message: `tensor \`${name}\` has no \`${f}\``, offset: where });
      ok = false;
    }
  }

  let bits: number | undefined;
  const dtypeNode = fields.get("dtype");
  if (dtypeNode) {
    const dt = dtypeNode.type === "string" ? (dtypeNode.value as string) : undefined;
    bits = dt !== undefined && Object.hasOwn(SAFETENSORS_DTYPE_BITS, dt) ? SAFETENSORS_DTYPE_BITS[dt] : undefined;
    if (bits === undefined) {
      problems.push({ code: "unknown-dtype", message: `tensor \`${name}\` has the unknown dtype ${dtypeNode.type === "string" ? JSON.stringify(dtypeNode.value) : describe(dtypeNode)}`, offset: at(dtypeNode.offset) });
      ok = false;
    }
  }

  let dims: bigint[] | undefined;
  const shapeNode = fields.get("shape");
  if (shapeNode) {
    if (shapeNode.type !== "array") {
      problems.push({ code: "invalid-shape", message: `tensor \`${name}\` has a shape that is ${describe(shapeNode)}, not an array of sizes`, offset: at(shapeNode.offset) });
      ok = false;
    } else {
      dims = [];
      for (const d of shapeNode.children ?? []) {
        const v = unsignedInteger(d, text);
        if (v === undefined) {
          problems.push({ code: "invalid-shape", message: `tensor \`${name}\` has the dimension ${text.slice(d.offset, d.offset + Math.min(d.length, 40))}; dimensions are integers from 0 to 2^64-1`, offset: at(d.offset) });
          dims = undefined;
          ok = false;
          break;
        }
        dims.push(v);
      }
    }
  }

  let b: bigint | undefined;
  let e: bigint | undefined;
  const offNode = fields.get("data_offsets");
  if (offNode) {
    const items = offNode.type === "array" ? offNode.children ?? [] : [];
    const vals = items.map((c) => unsignedInteger(c, text));
    if (offNode.type !== "array" || vals.length !== 2 || vals[0] === undefined || vals[1] === undefined) {
      problems.push({ code: "invalid-offsets", message: `tensor \`${name}\` needs data_offsets [begin, end] of two integers from 0 to 2^64-1`, offset: at(offNode.offset) });
      ok = false;
    } else {
      [b, e] = vals as [bigint, bigint];
      if (b > e) {
        problems.push({ code: "offsets-reversed", message: `tensor \`${name}\` has data_offsets [${b}, ${e}]: begin is after end`, offset: at(offNode.offset) });
        ok = false;
      } else if (e > dataSize) {
        problems.push({ code: "out-of-bounds", message: `tensor \`${name}\` ends at data byte ${e} but the data area holds ${dataSize} bytes (truncated file?)`, offset: at(offNode.offset) });
        ok = false;
      }
    }
  }

  if (dims && bits !== undefined && b !== undefined && e !== undefined && b <= e) {
    // The reference multiplies in order with overflow checks (usize::checked_mul), then by the bit width.
    let count = 1n;
    let overflow = false;
    for (const d of dims) {
      count *= d;
      if (count > U64_MAX) {
        overflow = true;
        break;
      }
    }
    const nbits = count * BigInt(bits);
    if (overflow || nbits > U64_MAX) {
      problems.push({ code: "overflow", message: `tensor \`${name}\` has shape [${dims.join(", ")}], whose size overflows 64 bits`, offset: at(shapeNode!.offset) });
      ok = false;
    } else if (nbits % 8n !== 0n) {
      problems.push({ code: "misaligned", message: `tensor \`${name}\` holds ${count} ${dtypeNode!.value} elements, which do not end on a byte boundary`, offset: at(shapeNode!.offset) });
      ok = false;
    } else if (nbits / 8n !== e - b) {
      problems.push({
        code: "size-mismatch",
        message: `tensor \`${name}\` has shape [${dims.join(", ")}] ${dtypeNode!.value} (${nbits / 8n} bytes) but data_offsets [${b}, ${e}] span ${e - b} bytes`,
        offset: at(offNode!.offset),
      });
      ok = false;
    }
  }
  if (ok && dims && dims.some((d) => d > BigInt(Number.MAX_SAFE_INTEGER))) {
    // Only possible next to a zero dimension; the reference accepts it, but numbers here are doubles.
    problems.push({ code: "unsupported-size", message: `tensor \`${name}\` has a dimension over 2^53, which normlint cannot represent exactly`, offset: at(shapeNode!.offset) });
    ok = false;
  }
  // Tensors with readable offsets take part in the layout check even when something else is wrong,
  // so overlaps and holes are reported alongside.
  if (b === undefined || e === undefined || b > e) return undefined;
  return {
    name,
    dtype: dtypeNode?.type === "string" ? (dtypeNode.value as string) : "",
    shape: ok && dims ? dims.map(Number) : [],
    begin: Number(b),
    end: Number(e),
    keyOffset: where,
    b,
    e,
  };
}

function checkLayout(
  tensors: Array<SafetensorsTensor & { b: bigint; e: bigint }>,
  complete: boolean,
  dataSize: bigint,
  dataStart: number,
  problems: SafetensorsProblem[],
): void {
  tensors.sort((x, y) => (x.b < y.b ? -1 : x.b > y.b ? 1 : x.e < y.e ? -1 : x.e > y.e ? 1 : 0));
  let cursor = 0n;
  let last: (typeof tensors)[number] | undefined;
  for (const t of tensors) {
    if (t.b > cursor && complete) {
      const after = last ? `the previous tensor \`${last.name}\` ends at ${cursor}` : "the data area starts at 0";
      problems.push({ code: "gap", message: `tensor \`${t.name}\` starts at data byte ${t.b} but ${after}: ${t.b - cursor} bytes belong to no tensor (safetensors requires contiguous data)`, offset: t.keyOffset });
    } else if (t.b < cursor && last) {
      problems.push({ code: "overlap", message: `tensor \`${t.name}\` (data bytes ${t.b}..${t.e}) overlaps \`${last.name}\` (${last.b}..${last.e})`, offset: t.keyOffset });
    }
    if (t.e >= cursor) {
      cursor = t.e;
      last = t;
    }
  }
  if (complete && cursor < dataSize && !problems.some((p) => p.code === "out-of-bounds")) {
    problems.push({
      code: "trailing-bytes",
      message: `the file has ${dataSize - cursor} bytes after the last tensor's data; safetensors requires the header to describe the file exactly`,
      offset: dataStart + Number(cursor),
    });
  }
}

export type TensorReadFailure = "not-found" | "too-large" | "not-decoded" | "truncated" | "read-error";

export type TensorRead =
  | { ok: true; data: Float32Array; dtype: string; shape: number[] }
  | { ok: false; reason: TensorReadFailure; message: string };

const tensorIndex = new WeakMap<SafetensorsHeader, Map<string, SafetensorsTensor>>();

function findTensor(header: SafetensorsHeader, name: string): SafetensorsTensor | undefined {
  let index = tensorIndex.get(header);
  if (!index) {
    index = new Map(header.tensors.map((t) => [t.name, t]));
    tensorIndex.set(header, index);
  }
  return index.get(name);
}

/**
 * Reads one tensor's bytes (only its range) and decodes a float dtype to float32. Tensors over
 * `maxBytes` (default 64 MiB) are not read; the result says so. `firstRows` reads only the leading
 * rows (of the last dimension's length), so activations can be sampled from a large tensor such as
 * an embedding matrix; the result's shape is then `[rows, last]`.
 */
export async function readTensor(src: ByteSource, header: SafetensorsHeader, name: string, opts: { maxBytes?: number; firstRows?: number } = {}): Promise<TensorRead> {
  const t = findTensor(header, name);
  if (!t) return { ok: false, reason: "not-found", message: `no tensor \`${name}\` in the header` };
  let length = t.end - t.begin;
  let shape = t.shape;
  const last = t.shape[t.shape.length - 1];
  const bits = SAFETENSORS_DTYPE_BITS[t.dtype];
  const cap = opts.maxBytes ?? DEFAULT_MAX_TENSOR_BYTES;
  if (opts.firstRows !== undefined && last > 0 && bits && (last * bits) % 8 === 0) {
    // Up to firstRows rows: fewer when the tensor has fewer, or when more would pass the cap.
    const rowBytes = (last * bits) / 8;
    const rows = Math.min(Math.max(0, Math.floor(opts.firstRows)), Math.floor(length / rowBytes), Math.max(1, Math.floor(cap / rowBytes)));
    length = rows * rowBytes;
    shape = [rows, last];
  }
  if (length > cap) {
    const what = shape === t.shape ? `tensor \`${name}\` is` : `a row of tensor \`${name}\` is`;
    return { ok: false, reason: "too-large", message: `${what} ${formatBytes(length)}, over the ${formatBytes(cap)} read cap; not read` };
  }
  const decode = DECODERS[t.dtype];
  if (!decode) return { ok: false, reason: "not-decoded", message: `tensor \`${name}\` is ${t.dtype}; only ${DECODED_DTYPES.join(", ")} are decoded` };
  const offset = header.dataStart + t.begin;
  if (offset + length > src.size) return { ok: false, reason: "truncated", message: `tensor \`${name}\` ends past the end of the file` };
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readExactly(src, offset, length);
  } catch (err) {
    return { ok: false, reason: "read-error", message: `could not read tensor \`${name}\`: ${(err as Error).message}` };
  }
  if (!bytes) return { ok: false, reason: "truncated", message: `the file ended while tensor \`${name}\` was read` };
  return { ok: true, data: decode(bytes), dtype: t.dtype, shape };
}

const DECODERS: Record<string, (b: Uint8Array) => Float32Array> = {
  F64: decodeF64,
  F32: decodeF32,
  F16: decodeF16,
  BF16: decodeBF16,
  F8_E4M3: decodeF8E4M3,
  F8_E5M2: decodeF8E5M2,
};
