// Models on the Hub, against the Hub stand-in on 127.0.0.1 (test/harness/hub-server.ts; no real
// Hub is reachable here):
// - a survey of 100 repositories (five layouts: the HF offset bug, a clean Gemma and an MLX doubled
//   offset in 2-4 GB single shards, sparse: the norms at the end of a zero embedding; a GGUF and a
//   3-shard Llama, small) through the CLI as a user runs it (`--repos`, `--format jsonl`), time and
//   requests per repository, bytes fetched against the repositories' size, and against the same 100
//   folders linted from disk (sparse files there too: the baseline); then again from the warm cache;
// - both with the answers delayed by a simulated 20 ms round trip, where parallelism matters;
// - the headers of a 1,000-tensor model in 10 shards read with 1 request in flight and with 8.
import { spawn } from "node:child_process";
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatBytes } from "../src/engine/io";
import { readSafetensorsHeader } from "../src/engine/parsers/safetensors";
import { readModelFolderInput } from "../src/node/folder";
import { openHubRepo, parseHubTarget } from "../src/node/hub/index";
import { ggufRepo, shardedRepo, sparseRepo } from "../test/harness/hub-repos";
import { type HubRepoSpec, startHubServer, type VirtualFile } from "../test/harness/hub-server";

// Vocabulary sizes that make 2-4 GB shards (64 bf16 per row).
const vocab = (i: number) => 16_000_000 + (i % 17) * 1_000_000;
const LAYOUTS: Array<[string, (i: number) => Record<string, VirtualFile>]> = [
  ["hf-offset-bug", (i) => sparseRepo("llama-like", vocab(i))],
  ["gemma2-ok", (i) => sparseRepo("gemma-like", vocab(i))],
  ["mlx-doubled", (i) => sparseRepo("gemma-folded", vocab(i), { metadata: { format: "mlx" } })],
  ["gguf", () => ggufRepo("gemma3", "gemma-like")],
  ["sharded", () => shardedRepo("llama", "llama-like", 3)],
];

/** Writes a file; a sparse one as a sparse file (its regions, then the length). */
function writeVirtual(path: string, f: VirtualFile): void {
  if (f instanceof Uint8Array) return writeFileSync(path, f);
  const fd = openSync(path, "w");
  try {
    for (const r of f.regions ?? []) writeSync(fd, r.bytes, 0, r.bytes.length, r.offset);
    ftruncateSync(fd, f.size);
  } finally {
    closeSync(fd);
  }
}
const sizeOf = (f: VirtualFile) => (f instanceof Uint8Array ? f.length : f.size);

/** Runs the built CLI without blocking this process (the server answers from this event loop). */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, "cli.js"), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, out, err, ms: performance.now() - t0 }));
  });
}

interface Line {
  requests: number;
  bytes: number;
  findings: Array<{ code: string }>;
  error?: unknown;
}

export async function runHubBench(): Promise<string[]> {
  const out: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), "normlint-hub-bench-"));
  try {
    const repos: HubRepoSpec[] = [];
    let repoBytes = 0;
    for (let i = 0; i < 100; i++) {
      const [name, make] = LAYOUTS[i % LAYOUTS.length];
      const files = make(i);
      const id = `survey/${name}-${String(i).padStart(3, "0")}`;
      repos.push({ id, files });
      mkdirSync(join(dir, "local", id), { recursive: true });
      for (const [f, b] of Object.entries(files)) {
        writeVirtual(join(dir, "local", id, f), b);
        repoBytes += sizeOf(b);
      }
    }
    const list = join(dir, "repos.txt");
    writeFileSync(list, repos.map((r) => `hf://${r.id}`).join("\n"));
    const local = await cli([join(dir, "local"), "--format", "json"], {});
    for (const latencyMs of [0, 20]) {
      const server = await startHubServer({ repos, latencyMs });
      try {
        const cache = join(dir, `cache-${latencyMs}`);
        const env = { HF_ENDPOINT: server.url, NORMLINT_CACHE: cache, HF_TOKEN_PATH: join(dir, "no-token") };
        const cold = await cli(["--repos", list, "--format", "jsonl"], env);
        const warm = await cli(["--repos", list, "--format", "jsonl"], env);
        const parse = (s: string) => s.trim().split("\n").map((l) => JSON.parse(l) as Line);
        const c = parse(cold.out);
        const w = parse(warm.out);
        const sum = (ls: Line[], k: "requests" | "bytes") => ls.reduce((n, l) => n + l[k], 0);
        const flagged = c.filter((l) => l.findings.some((f) => f.code === "NL303")).length;
        const failed = c.filter((l) => l.error).length;
        const rtt = latencyMs ? `, ${latencyMs} ms simulated round trip` : "";
        out.push(
          `survey of ${c.length} repositories${rtt}: ${(cold.ms / 1000).toFixed(2)} s (${(cold.ms / c.length).toFixed(0)} ms and ${(sum(c, "requests") / c.length).toFixed(1)} requests per repository), ${formatBytes(sum(c, "bytes"))} fetched of ${formatBytes(repoBytes)} in the repositories (${((100 * sum(c, "bytes")) / repoBytes).toPrecision(2)}%); ${flagged} flagged NL303, ${failed} failed`,
        );
        out.push(`  the same 100 folders from disk: ${(local.ms / 1000).toFixed(2)} s; ratio Hub / disk ${(cold.ms / local.ms).toFixed(1)}x`);
        out.push(`  again from the cache: ${(warm.ms / 1000).toFixed(2)} s, ${(sum(w, "requests") / w.length).toFixed(1)} requests per repository (the revision only), ${formatBytes(sum(w, "bytes"))} fetched; ratio to disk ${(warm.ms / local.ms).toFixed(1)}x`);
      } finally {
        await server.close();
      }
    }

    // 1,000 tensors in 10 shards: each shard's header through the Hub client, all shards at once,
    // with the client's limit at 1 and at 8 requests in flight, 20 ms per answer.
    const big = shardedRepo("llama", "llama-like", 10, { layers: 499, hidden: 64 });
    const server = await startHubServer({ repos: [{ id: "survey/llama-1000", files: big }], latencyMs: 20 });
    try {
      const times: Record<number, { ms: number; requests: number; bytes: number; tensors: number }> = {};
      for (const concurrency of [1, 8]) {
        const repo = await openHubRepo(parseHubTarget("hf://survey/llama-1000")!, { endpoint: server.url, token: null, cacheDir: null, concurrency });
        const read = await readModelFolderInput(repo.dir, repo.access);
        const before = repo.stats();
        const t0 = performance.now();
        const headers = await Promise.all(read.input.safetensors.map((s) => readSafetensorsHeader(s.source)));
        const ms = performance.now() - t0;
        const after = repo.stats();
        times[concurrency] = { ms, requests: after.requests - before.requests, bytes: after.bytes - before.bytes, tensors: headers.reduce((n, h) => n + (h.ok ? h.header.tensors.length : 0), 0) };
        await read.close();
      }
      const [one, eight] = [times[1], times[8]];
      out.push(
        `headers of a ${eight.tensors}-tensor model in 10 shards, 20 ms per answer: ${eight.ms.toFixed(0)} ms with 8 requests in flight vs ${one.ms.toFixed(0)} ms with 1 (${(one.ms / eight.ms).toFixed(1)}x); ${eight.requests} requests (a /resolve and a CDN hop per shard), ${formatBytes(eight.bytes)}`,
      );
    } finally {
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
