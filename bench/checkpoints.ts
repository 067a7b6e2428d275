// Checkpoint readers: what a header costs (time and bytes read) for a 1 MB file and a 20 GB sparse
// one, the norm statistics of a 200-norm model, and the ratio against the naive approach (read the
// whole file, then parse). Files are created in a temp dir and deleted. Times are the best of
// several rounds with a warm page cache; the byte counts are exact.
import { mkdtempSync, rmSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openFileSource } from "../src/node/bytes";
import { type ByteSource, bytesSource, countingSource, formatBytes } from "../src/engine/io";
import { readGgufHeader } from "../src/engine/parsers/gguf";
import { readSafetensorsHeader, readTensor } from "../src/engine/parsers/safetensors";
import { classifyOffsetEncoding, normStats } from "../src/engine/weights/norm-stats";
import { buildGgufHeader, buildSafetensors, encodeSafetensorsHeader } from "../test/harness/checkpoint-builder";

const MB = 1024 * 1024;

/** A Llama-3-8B-like tensor list (names, dtypes, shapes); the last tensor is sized to fill `total`. */
function llamaHeader(total: number): Uint8Array {
  const H = 4096;
  const tensors: Array<[string, number[]]> = [["model.embed_tokens.weight", [128256, H]]];
  for (let l = 0; l < 32; l++) {
    const p = `model.layers.${l}`;
    tensors.push(
      [`${p}.input_layernorm.weight`, [H]],
      [`${p}.self_attn.q_proj.weight`, [H, H]],
      [`${p}.self_attn.k_proj.weight`, [1024, H]],
      [`${p}.self_attn.v_proj.weight`, [1024, H]],
      [`${p}.self_attn.o_proj.weight`, [H, H]],
      [`${p}.post_attention_layernorm.weight`, [H]],
      [`${p}.mlp.gate_proj.weight`, [14336, H]],
      [`${p}.mlp.up_proj.weight`, [14336, H]],
      [`${p}.mlp.down_proj.weight`, [H, 14336]],
    );
  }
  tensors.push(["model.norm.weight", [H]]);
  // Small files keep the names and the norms but shrink the matrices to 1 x 8.
  const small = total < 1024 * MB;
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let offset = 0;
  const HEADER = 64 * 1024; // fixed, so both files have the same header length
  const room = total - 8 - HEADER;
  for (const [name, shape0] of tensors) {
    const shape = small && shape0.length === 2 ? [1, 8] : shape0;
    const bytes = shape.reduce((a, b) => a * b, 1) * 2;
    header[name] = { dtype: "BF16", shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  if (offset > room) throw new Error(`tensors take ${offset} bytes, over ${room}`);
  header["lm_head.weight"] = { dtype: "U8", shape: [room - offset], data_offsets: [offset, room] };
  return encodeSafetensorsHeader(header, { length: HEADER });
}

async function writeSparse(path: string, head: Uint8Array, total: number): Promise<void> {
  const fh = await open(path, "w");
  try {
    await fh.write(head, 0, head.length, 0);
    await fh.truncate(total);
  } finally {
    await fh.close();
  }
}

/** Writes real bytes (not a hole) so reading the whole file costs what it would on a real checkpoint. */
async function writeDense(path: string, head: Uint8Array, total: number): Promise<void> {
  const fh = await open(path, "w");
  try {
    await fh.write(head, 0, head.length, 0);
    const chunk = new Uint8Array(8 * MB).fill(0x3f);
    for (let at = head.length; at < total; at += chunk.length) await fh.write(chunk, 0, Math.min(chunk.length, total - at), at);
  } finally {
    await fh.close();
  }
}

async function best(rounds: number, fn: () => Promise<unknown>): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

/** Opens, parses the header, closes; returns bytes read. */
async function headerOnce(path: string, parse: (s: ByteSource) => Promise<{ ok: boolean }>): Promise<number> {
  const file = await openFileSource(path);
  try {
    const src = countingSource(file);
    const r = await parse(src);
    if (!r.ok) throw new Error(`${path}: header refused`);
    return src.bytesRead;
  } finally {
    await file.close();
  }
}

const ms = (x: number) => (x < 1 ? `${(x * 1000).toFixed(0)} µs` : `${x.toFixed(1)} ms`);

export async function runCheckpointBench(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "normlint-ckpt-bench-"));
  const out: string[] = [];
  try {
    const st = (s: ByteSource) => readSafetensorsHeader(s);
    const files = { small: join(dir, "small.safetensors"), sparse: join(dir, "sparse.safetensors"), dense: join(dir, "dense.safetensors") };
    await writeDense(files.small, llamaHeader(1 * MB), 1 * MB);
    await writeSparse(files.sparse, llamaHeader(20 * 1000 ** 3), 20 * 1000 ** 3);
    await writeDense(files.dense, llamaHeader(200 * MB), 200 * MB);

    out.push("safetensors header (Llama-3-8B tensor list, 64 KiB header; open + parse + close, best of 20):");
    const rows: Array<[string, string, number]> = [["1 MB", files.small, MB], ["20 GB sparse", files.sparse, 20 * 1000 ** 3], ["200 MB", files.dense, 200 * MB]];
    // Warm the JIT on the small file first, so the first row is not charged for compilation.
    for (let i = 0; i < 30; i++) await headerOnce(files.small, st);
    const ours: Record<string, number> = {};
    const oursBytes: Record<string, number> = {};
    for (const [label, path, size] of rows) {
      const bytes = await headerOnce(path, st);
      const t = await best(20, () => headerOnce(path, st));
      ours[label] = t;
      oursBytes[label] = bytes;
      out.push(`  ${label.padEnd(13)} ${ms(t).padStart(9)}  read ${formatBytes(bytes)} of ${formatBytes(size)}`);
    }

    out.push("naive (read the whole file, then parse the header; warm cache, best of 5):");
    for (const [label, path, size] of rows) {
      if (label.includes("sparse")) continue;
      const t = await best(5, async () => {
        const all = await readFile(path);
        const r = await readSafetensorsHeader(bytesSource(all));
        if (!r.ok) throw new Error("refused");
      });
      out.push(`  ${label.padEnd(13)} ${ms(t).padStart(9)}  read ${formatBytes(size)}; ranged reads are ${(t / ours[label]).toFixed(1)}x faster and read ${(size / oursBytes[label]).toFixed(0)}x fewer bytes`);
    }
    out.push("  20 GB sparse  (naive not run: it would read 20 GB)");

    // GGUF with a real-size vocabulary: 128k tokens, 280k merges, 128k scores.
    const vocab = Array.from({ length: 128_256 }, (_, i) => `tok_${i.toString(36)}`);
    const merges = Array.from({ length: 280_000 }, (_, i) => `${(i % 997).toString(36)} ${(i % 991).toString(36)}`);
    const ggufDesc = (rows: number) => ({
      metadata: {
        "general.architecture": "llama",
        "llama.attention.layer_norm_rms_epsilon": { type: "f32" as const, value: 1e-5 },
        "tokenizer.ggml.tokens": { type: "arr" as const, itemType: "str" as const, items: vocab },
        "tokenizer.ggml.merges": { type: "arr" as const, itemType: "str" as const, items: merges },
        "tokenizer.ggml.scores": { type: "arr" as const, itemType: "f32" as const, items: vocab.map(() => 0) },
      },
      tensors: { "output_norm.weight": { type: "F32", dims: [4096] }, "token_embd.weight": { type: "Q8_0", dims: [4096, rows] } },
    });
    const ggufHead = buildGgufHeader(ggufDesc(1));
    const rowsFor = (total: number) => Math.floor((total - ggufHead.bytes.length - 4096 * 4 - 64) / (128 * 34));
    const g1 = buildGgufHeader(ggufDesc(rowsFor(8 * MB)));
    const g2 = buildGgufHeader(ggufDesc(rowsFor(20 * 1000 ** 3)));
    const gSmall = join(dir, "small.gguf");
    const gBig = join(dir, "sparse.gguf");
    await writeSparse(gSmall, g1.bytes, g1.bytes.length + g1.dataSize);
    await writeSparse(gBig, g2.bytes, g2.bytes.length + g2.dataSize);
    out.push(`GGUF header (128k-token vocabulary, 280k merges: a ${formatBytes(g1.bytes.length)} header; best of 5):`);
    for (const [label, path, size] of [["8 MB", gSmall, g1.bytes.length + g1.dataSize], ["20 GB sparse", gBig, g2.bytes.length + g2.dataSize]] as const) {
      const bytes = await headerOnce(path, (s) => readGgufHeader(s));
      const t = await best(5, () => headerOnce(path, (s) => readGgufHeader(s)));
      out.push(`  ${label.padEnd(13)} ${ms(t).padStart(9)}  read ${formatBytes(bytes)} of ${formatBytes(size)}`);
    }

    // 200 norm tensors, hidden 4096, bf16: read each (ranged) and compute the statistics.
    const norms = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`model.layers.${i >> 1}.${i % 2 ? "post_attention" : "input"}_layernorm.weight`, { dtype: "BF16", shape: [4096], fill: "gemma-like" as const, seed: i + 1 }]),
    );
    const normFile = join(dir, "norms.safetensors");
    const built = buildSafetensors({ tensors: norms });
    await writeDense(normFile, built.bytes, built.bytes.length);
    let guess = "";
    const statsTime = await best(10, async () => {
      const file = await openFileSource(normFile);
      try {
        const r = await readSafetensorsHeader(file);
        if (!r.ok) throw new Error("refused");
        const read = [];
        for (const t of r.header.tensors) {
          const x = await readTensor(file, r.header, t.name);
          if (x.ok) read.push({ name: t.name, data: x.data });
        }
        const g = classifyOffsetEncoding(normStats(read));
        guess = `${g.encoding} (confidence ${g.confidence})`;
      } finally {
        await file.close();
      }
    });
    const inMemory = await best(10, async () => {
      const tensors = Object.keys(norms).map((name) => ({ name, data: new Float32Array(4096).fill(0.1) }));
      classifyOffsetEncoding(normStats(tensors));
    });
    out.push(`norm statistics, 200 tensors x 4096 bf16 (${formatBytes(built.bytes.length)}): ${ms(statsTime)} header + 200 ranged reads + decode + stats -> ${guess}; stats alone ${ms(inMemory)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
