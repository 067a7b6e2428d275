// Models on the Hugging Face Hub, against a Hub-compatible server on 127.0.0.1 (test/harness/
// hub-server.ts): the same findings as the same folder linted locally, bytes and requests bounded
// by headers + norm tensors, the token kept on the Hub host, a flaky server ending in the right
// findings or a clear error, the budget, gated repositories, the offline cache and jsonl.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ensureBuilt } from "./harness/cli";
import { run } from "../src/cli/main";
import { type HubOptions, openHubRepo, parseHubTarget } from "../src/node/hub/index";
import { readModelFolderInput } from "../src/node/folder";
import { readSafetensorsHeader } from "../src/engine/parsers/safetensors";
import { type Fault, type FaultInfo, type HubRepoSpec, type HubServer, startHubServer } from "./harness/hub-server";
import { QWEN3_FP16_CONFIG, QWEN3_FP16_MODELING } from "./harness/model-folder";
import { ggufRepo, hostileRepo, type RepoFiles, safetensorsRepo, shardedRepo, sparseRepo } from "./harness/hub-repos";

let root: string;
let server: HubServer;
const LAYOUTS: Record<string, RepoFiles> = {
  "hf-offset-bug": safetensorsRepo("gemma2", "llama-like"),
  "hf-clean": safetensorsRepo("gemma2", "gemma-like"),
  gguf: ggufRepo("gemma3", "gemma-like"),
  "mlx-doubled": safetensorsRepo("gemma2", "gemma-folded", { metadata: { format: "mlx" } }),
  sharded: shardedRepo("llama", "gemma-like", 3),
  hostile: hostileRepo(),
  // Modeling code beside the config: linted with the folder, as the CLI lints a local model folder.
  "qwen3-code": { ...shardedRepo("qwen3", "llama-like", 1), "config.json": new TextEncoder().encode(QWEN3_FP16_CONFIG), "modeling_tiny.py": new TextEncoder().encode(QWEN3_FP16_MODELING) },
};
const repos: HubRepoSpec[] = [
  ...Object.entries(LAYOUTS).map(([name, files]) => ({ id: `t/${name}`, files })),
  { id: "t/gated", files: LAYOUTS["hf-offset-bug"], gated: true, grants: ["hf_good"] },
  { id: "t/private", files: LAYOUTS["hf-clean"], private: true, grants: ["hf_good"] },
  { id: "t/sparse-20gb", files: sparseRepo("llama-like", 156_250_000) },
  { id: "t/sparse-1mb", files: sparseRepo("llama-like", 8192) },
  {
    id: "t/multi",
    files: { "README.md": new TextEncoder().encode("# multi\n"), ...Object.fromEntries(Object.entries(LAYOUTS["hf-offset-bug"]).map(([k, v]) => [`sub/${k}`, v])) },
    branches: { old: LAYOUTS["hf-clean"] },
    tags: { "v1.0": "old" },
  },
];

beforeAll(async () => {
  root = realpathSync(mkdtempSync(join(tmpdir(), "normlint-hub-")));
  for (const [name, files] of Object.entries(LAYOUTS)) {
    for (const [f, bytes] of Object.entries(files)) {
      mkdirSync(join(root, "local", name), { recursive: true });
      writeFileSync(join(root, "local", name, f), bytes);
    }
  }
  mkdirSync(join(root, "local", ".git"), { recursive: true });
  // Four entries a page: the sharded repository's listing takes two pages (Link: rel="next").
  server = await startHubServer({ repos, tokens: ["hf_good", "hf_other"], pageSize: 4 });
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string;
  err: string;
}
async function cli(args: string[], hub: HubOptions = {}, cwd = join(root, "local")): Promise<Run> {
  let out = "";
  let err = "";
  const before = process.cwd();
  process.chdir(cwd);
  try {
    const code = await run(args, (s) => (out += s), (s) => (err += s), { hub: { endpoint: server.url, token: null, cacheDir: null, retries: 3, retryBaseMs: 5, retryMaxWaitMs: 50, ...hub } });
    return { code, out, err };
  } finally {
    process.chdir(before);
  }
}

interface JFinding {
  file: string;
  rule: string;
  code: string;
  severity: string;
  message: string;
  line: number;
  column: number;
}
/** Findings with the folder part of file names (local `name/`, or the Hub page prefix) taken out. */
function normalized(findings: JFinding[], prefix: string) {
  const strip = (s: string) => s.split(prefix).join("");
  return findings.map((f) => ({ ...f, file: strip(f.file), message: strip(f.message) })).sort((a, b) => `${a.file}${a.line}${a.code}`.localeCompare(`${b.file}${b.line}${b.code}`));
}

describe("hf:// targets lint like the same folder on disk", () => {
  for (const name of Object.keys(LAYOUTS)) {
    it(`${name}: identical findings and exit code`, async () => {
      const local = await cli([name, "--format", "json"]);
      const remote = await cli([`hf://t/${name}`, "--format", "json"]);
      const commit = server.commitOf(`t/${name}`);
      const l = JSON.parse(local.out);
      const r = JSON.parse(remote.out);
      expect(remote.code, remote.err).toBe(local.code);
      expect(normalized(r.findings, `${server.url}/t/${name}/blob/${commit}/`)).toEqual(normalized(l.findings, `${name}/`));
      expect(l.findings.length).toBeGreaterThan(name === "hf-clean" ? -1 : 0);
      if (name === "qwen3-code") expect(r.findings.map((f: JFinding) => `${f.code} ${f.file.split("/").pop()}`)).toEqual(expect.arrayContaining(["NL218 modeling_tiny.py", "NL219 modeling_tiny.py"]));
      for (const f of r.findings) expect(f.file.startsWith(`${server.url}/t/${name}/blob/${commit}/`)).toBe(true);
      expect(remote.err).toMatch(new RegExp(`hf://t/${name}: commit ${commit.slice(0, 12)}, \\d+ requests`));
    });
  }
});

const jsonOf = (r: Run) => JSON.parse(r.out) as { findings: JFinding[]; summary: { errors: number } };
const since = (n: number) => server.requests.slice(n);

describe("revisions, subfolders and URLs", () => {
  it("resolves branches, tags, commit ids, subfolders and Hub URLs to the commit they name", async () => {
    const main = server.commitOf("t/multi");
    const old = server.commitOf("t/multi", "old");
    expect(main).not.toBe(old);
    const sub = jsonOf(await cli(["hf://t/multi/sub", "--format", "json"]));
    expect(sub.findings.map((f) => f.code)).toEqual(["NL303"]);
    expect(sub.findings[0].file).toBe(`${server.url}/t/multi/blob/${main}/sub/config.json`);
    const byUrl = jsonOf(await cli([`${server.url}/t/multi/tree/main/sub`, "--format", "json"], { endpoint: server.url }));
    expect(byUrl.findings).toEqual(sub.findings);
    const tag = await cli(["hf://t/multi@v1.0", "--format", "json"]);
    expect(tag.code).toBe(0);
    expect(tag.err).toContain(`commit ${old.slice(0, 12)}`);
    const pinned = await cli([`hf://t/multi@${main}/sub`, "--format", "json"]);
    expect(jsonOf(pinned).findings).toEqual(sub.findings);
  });

  it("parses targets and refuses malformed ones", () => {
    expect(parseHubTarget("hf://google/gemma-2-2b")).toEqual({ repo: "google/gemma-2-2b", revision: "main", subfolder: "", input: "hf://google/gemma-2-2b" });
    expect(parseHubTarget("hf://a/b@refs/pr/3/sub/dir")).toMatchObject({ repo: "a/b", revision: "refs/pr/3", subfolder: "sub/dir" });
    expect(parseHubTarget("https://huggingface.co/a/b/tree/v2/x")).toMatchObject({ repo: "a/b", revision: "v2", subfolder: "x" });
    expect(parseHubTarget("https://huggingface.co/a/b/blob/main/x/config.json")).toMatchObject({ revision: "main", subfolder: "x" });
    expect(parseHubTarget("https://mirror.example/a/b", "https://mirror.example")).toMatchObject({ repo: "a/b" });
    expect(parseHubTarget("https://example.com/a/b")).toBeUndefined();
    expect(parseHubTarget("./models/a")).toBeUndefined();
    expect(() => parseHubTarget("hf://gpt2")).toThrow(/owner/);
    expect(() => parseHubTarget("hf://a/b--c")).toThrow(/not a Hub repository id/);
    expect(() => parseHubTarget("hf://a/b/../c")).toThrow(/subfolder/);
    expect(() => parseHubTarget("https://huggingface.co/datasets/a/b")).toThrow(/model repository/);
  });

  it("says where the weights are when the folder named has none", async () => {
    const r = await cli(["hf://t/multi"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/hf:\/\/t\/multi: no config.json, safetensors or GGUF file in this folder; its subfolders: sub \(name one: hf:\/\/t\/multi\/sub\)/);
  });

  it("reports an unknown repository or revision with exit 2 and still lints the other targets", async () => {
    const r = await cli(["hf://t/nope", "hf://t/hf-clean@nope", "hf://t/hf-offset-bug", "--format", "json"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/hf:\/\/t\/nope: t\/nope was not found/);
    expect(r.err).toMatch(/hf:\/\/t\/hf-clean@nope: t\/hf-clean: revision nope was not found \(no such branch, tag or commit\)/);
    expect(jsonOf(r).findings.map((f) => f.code)).toEqual(["NL303"]);
  });
});

describe("bytes and requests", () => {
  it("a 20 GB shard costs what a 1 MB one does: its header and norm tensors, never the shard", async () => {
    const big = await cli(["hf://t/sparse-20gb", "--format", "json"]);
    const small = await cli(["hf://t/sparse-1mb", "--format", "json"]);
    expect(big.code).toBe(1);
    const strip = (r: Run, id: string) => normalized(jsonOf(r).findings, `${server.url}/${id}/blob/${server.commitOf(id)}/`);
    expect(strip(big, "t/sparse-20gb")).toEqual(strip(small, "t/sparse-1mb"));
    const stats = (r: Run) => /(\d+) requests, ([\d.]+) KiB fetched/.exec(r.err)!.slice(1).map(Number);
    const [bigReq, bigKiB] = stats(big);
    const [smallReq, smallKiB] = stats(small);
    expect(bigReq).toBe(smallReq);
    expect(Math.abs(bigKiB - smallKiB)).toBeLessThanOrEqual(0.2);
    expect(bigKiB).toBeLessThan(128);
  });

  it("reads a header in at most two GETs and each norm tensor in one, bounded by header + norms + small files", async () => {
    const id = "t/sparse-20gb";
    const repo = await openHubRepo(parseHubTarget(`hf://${id}`)!, { endpoint: server.url, token: null, cacheDir: null });
    const read = await readModelFolderInput(repo.dir, repo.access);
    const src = read.input.safetensors[0].source;
    const mark = server.requests.length;
    const header = await readSafetensorsHeader(src);
    expect(header.ok).toBe(true);
    const headerGets = since(mark).filter((q) => q.host === "cdn").length;
    expect(headerGets).toBeLessThanOrEqual(2);
    const { lintFolder } = await import("../src/engine/folder");
    const { defaultSettings } = await import("../src/engine/settings");
    const before = repo.stats();
    const { findings } = await lintFolder(read.input, () => defaultSettings());
    expect(findings.map((f) => f.code)).toEqual(["NL303"]);
    const after = repo.stats();
    if (!header.ok) return;
    const norms = header.header.tensors.filter((t) => /norm/.test(t.name));
    const normBytes = norms.reduce((n, t) => n + (t.end - t.begin), 0);
    // The header's bytes are kept by the source: the lint adds one ranged GET per norm tensor.
    expect(after.bytes - before.bytes).toBeLessThanOrEqual(normBytes);
    const cdn = since(mark).filter((q) => q.host === "cdn");
    const ranges = cdn.map((q) => q.headers.range);
    expect(new Set(ranges).size).toBe(ranges.length);
    expect(cdn.length).toBeLessThanOrEqual(headerGets + norms.length);
    expect(repo.failure()).toBeUndefined();
    await read.close();
  });
});

describe("tokens, gated and private repositories", () => {
  it("sends the token to the Hub host only, never to the CDN, and re-resolves the redirect per range", async () => {
    const mark = server.requests.length;
    const r = await cli(["hf://t/gated", "--format", "json"], { token: "hf_good" });
    expect(r.code, r.err).toBe(1);
    const reqs = since(mark);
    const hub = reqs.filter((q) => q.host === "hub");
    const cdn = reqs.filter((q) => q.host === "cdn");
    expect(cdn.length).toBeGreaterThan(0);
    expect(hub.every((q) => q.headers.authorization === "Bearer hf_good")).toBe(true);
    expect(cdn.every((q) => q.headers.authorization === undefined)).toBe(true);
    // Every CDN read follows its own /resolve redirect (a signed URL serves one range).
    const redirects = hub.filter((q) => q.status === 302);
    expect(redirects.length).toBe(cdn.length);
    expect(cdn.every((q) => q.status === 206)).toBe(true);
  });

  it("the CDN refuses a signed URL for another range", async () => {
    const commit = server.commitOf("t/hf-clean");
    const res = await fetch(`${server.url}/t/hf-clean/resolve/${commit}/model.safetensors`, { headers: { range: "bytes=0-7" }, redirect: "manual" });
    const location = res.headers.get("location")!;
    expect(res.status).toBe(302);
    expect(res.headers.get("x-repo-commit")).toBe(commit);
    expect((await fetch(location, { headers: { range: "bytes=0-7" } })).status).toBe(206);
    expect((await fetch(location, { headers: { range: "bytes=8-15" } })).status).toBe(403);
  });

  it("names the repository and HF_TOKEN for a gated repository, a token without access, a bad token and a private one", async () => {
    const none = await cli(["hf://t/gated"]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/t\/gated is gated \(HTTP 401\): accept its conditions at .*\/t\/gated, then set HF_TOKEN/);
    expect(none.out).not.toMatch(/NL303/);
    const other = await cli(["hf://t/gated"], { token: "hf_other" });
    expect(other.err).toMatch(/t\/gated is gated or private and the token from the token given has no access \(HTTP 403\)/);
    const bad = await cli(["hf://t/hf-clean"], { token: "hf_bad" });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/the token from the token given was refused \(HTTP 401\)/);
    const priv = await cli(["hf://t/private"]);
    expect(priv.err).toMatch(/t\/private was not found on .*, or it is private or gated: set HF_TOKEN/);
    expect((await cli(["hf://t/private"], { token: "hf_good" })).code).toBe(0);
  });
});

describe("a flaky server ends in the right findings or a clear error", () => {
  /** A server of its own with `fault` applied, and the clean run's findings to compare with. */
  async function flaky(fault: (i: FaultInfo) => Fault | undefined, retryAfter?: string) {
    const s = await startHubServer({ repos: [{ id: "t/flaky", files: LAYOUTS.sharded }], fault, retryAfter });
    const prefix = `${s.url}/t/flaky/blob/${s.commitOf("t/flaky")}/`;
    return { s, prefix };
  }
  const expected = async () => normalized(jsonOf(await cli(["sharded", "--format", "json"])).findings, "sharded/");

  it("drops, truncated bodies, 500s and 429s on every route: retried, same findings", async () => {
    const kinds: Fault[] = ["drop", "truncate", "500", "429"];
    // The first request for each resource (API call, /resolve of a range, CDN range) fails, in
    // turn each way; the next try succeeds.
    const seen = new Set<string>();
    let count = 0;
    const { s, prefix } = await flaky((i) => {
      const key = `${i.kind} ${i.path} ${i.range}`;
      if (seen.has(key)) return undefined;
      seen.add(key);
      return kinds[count++ % 4];
    }, "0");
    try {
      const r = await cli(["hf://t/flaky", "--format", "json"], { endpoint: s.url, retries: 4 });
      expect(r.code, r.err).toBe(1);
      expect(normalized(jsonOf(r).findings, prefix)).toEqual(await expected());
      expect(r.err).toMatch(/\d+ retried/);
      const statuses = new Set(s.requests.map((q) => q.status));
      expect(statuses.has(500) && statuses.has(429)).toBe(true);
    } finally {
      await s.close();
    }
  });

  it("a body that is always cut short: a clear error and exit 2, never a finding made of it", async () => {
    const { s } = await flaky((i) => (i.kind === "cdn" ? "truncate" : undefined));
    try {
      const r = await cli(["hf://t/flaky", "--format", "json"], { endpoint: s.url, retries: 2 });
      expect(r.code).toBe(2);
      expect(jsonOf(r).findings).toEqual([]);
      expect(r.err).toMatch(/could not be read after 3 attempts: .*truncated body|the connection dropped/);
    } finally {
      await s.close();
    }
  });

  it("a 200 with the whole file for a ranged read is refused, not read", async () => {
    const s = await startHubServer({ repos: [{ id: "t/whole", files: sparseRepo("llama-like", 8192) }], fault: (i) => (i.kind === "cdn" ? "ignore-range" : undefined) });
    try {
      const r = await cli(["hf://t/whole", "--format", "json"], { endpoint: s.url });
      expect(r.code).toBe(2);
      expect(jsonOf(r).findings).toEqual([]);
      expect(r.err).toMatch(/answered 200, not 206 Partial Content/);
    } finally {
      await s.close();
    }
  });

  it("honours Retry-After (seconds) before trying again", async () => {
    let sent = 0;
    const { s, prefix } = await flaky((i) => (i.kind === "api" && sent++ === 0 ? "429" : undefined), "1");
    try {
      const t0 = performance.now();
      const r = await cli(["hf://t/flaky", "--format", "json"], { endpoint: s.url, retryMaxWaitMs: 5000 });
      expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
      expect(normalized(jsonOf(r).findings, prefix)).toEqual(await expected());
    } finally {
      await s.close();
    }
  });
});

describe("budget, cache and offline", () => {
  it("--max-bytes stops the repository with a clear error, never a partial result", async () => {
    const r = await cli(["hf://t/sparse-20gb", "hf://t/hf-offset-bug", "--max-bytes", "20KB", "--format", "json"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/hf:\/\/t\/sparse-20gb: t\/sparse-20gb: reading .* would pass the byte budget \(20 KiB, --max-bytes\)/);
    // The other repository fits: its findings are there, the stopped one has none.
    const files = jsonOf(r).findings.map((f) => f.file);
    expect(files.some((f) => f.includes("/t/hf-offset-bug/"))).toBe(true);
    expect(files.some((f) => f.includes("/t/sparse-20gb/"))).toBe(false);
    expect((await cli(["hf://t/hf-clean", "--max-bytes", "ten"])).err).toMatch(/--max-bytes takes a byte count/);
  });

  it("a second run with the Hub unreachable reads everything from the cache: same findings, 0 requests", async () => {
    const cacheDir = join(root, "cache-offline");
    const first = await cli(["hf://t/sharded", "--format", "json"], { cacheDir });
    const down: typeof fetch = () => Promise.reject(new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED") }));
    const second = await cli(["hf://t/sharded", "--format", "json"], { cacheDir, fetch: down, retries: 1 });
    expect(second.code).toBe(first.code);
    expect(jsonOf(second).findings).toEqual(jsonOf(first).findings);
    expect(second.err).toMatch(/hf:\/\/t\/sharded: commit [0-9a-f]{12}, 2 requests, 0 B fetched \(\d+ reads from cache; 1 retried; offline, from cache\)/);
    const offline = await cli(["hf://t/sharded", "--format", "json"], { cacheDir, offline: true });
    expect(jsonOf(offline).findings).toEqual(jsonOf(first).findings);
    expect(offline.err).toMatch(/0 requests, 0 B fetched \(\d+ reads from cache; offline, from cache\)/);
    // Not cached: a clear error.
    const missing = await cli(["hf://t/gguf"], { cacheDir, offline: true });
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/revision main is not in the cache .*HF_HUB_OFFLINE/);
  });

  it("a corrupt cache entry is ignored and fetched again, never trusted", async () => {
    const cacheDir = join(root, "cache-corrupt");
    const first = await cli(["hf://t/hf-offset-bug", "--format", "json"], { cacheDir });
    const entries: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) (e.isDirectory() ? walk : (p: string) => entries.push(p))(join(d, e.name));
    };
    walk(cacheDir);
    expect(entries.length).toBeGreaterThan(3);
    // Flip one byte in every entry (the refs too): each must be refetched or re-resolved.
    for (const p of entries) {
      const b = readFileSync(p);
      b[0] ^= 0xff;
      writeFileSync(p, b);
    }
    expect(statSync(entries[0]).size).toBeGreaterThan(0);
    const second = await cli(["hf://t/hf-offset-bug", "--format", "json"], { cacheDir });
    expect(jsonOf(second).findings).toEqual(jsonOf(first).findings);
    expect(second.err).not.toMatch(/reads from cache/);
    const third = await cli(["hf://t/hf-offset-bug", "--format", "json"], { cacheDir });
    expect(third.err).toMatch(/1 request, .* \(\d+ reads from cache\)/);
  });
});

describe("many repositories: jsonl, --repos and exit codes", () => {
  it("writes one JSON line per repository with the json format's findings, counts and cost", async () => {
    const list = join(root, "repos.txt");
    writeFileSync(list, "# conversions to survey\nhf://t/hf-offset-bug\n\nhf://t/hf-clean  # the original\nhf://t/gated\n");
    const r = await cli(["--repos", list, "--format", "jsonl"]);
    expect(r.code).toBe(2);
    const lines = r.out.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.repo)).toEqual(["t/hf-offset-bug", "t/hf-clean", "t/gated"]);
    const [bug, clean, gated] = lines;
    expect(Object.keys(bug).sort()).toEqual(["bytes", "cachedReads", "commit", "findings", "repo", "requests", "retries", "revision", "summary", "target"]);
    expect(bug).toMatchObject({ target: "hf://t/hf-offset-bug", revision: "main", commit: server.commitOf("t/hf-offset-bug"), summary: { errors: 1, warnings: 0 } });
    const asJson = jsonOf(await cli(["hf://t/hf-offset-bug", "--format", "json"])).findings;
    expect(bug.findings).toEqual(asJson);
    expect(bug.requests).toBeGreaterThan(0);
    expect(bug.bytes).toBeGreaterThan(0);
    expect(clean.findings).toEqual([]);
    expect(gated).toMatchObject({ commit: null, findings: [], error: { kind: "gated" } });
    expect(r.err).toMatch(/hf:\/\/t\/gated: .* is gated/);
  });

  it("exit codes: 0 clean, 1 errors, 2 a repository that cannot be read; local paths and Hub targets mixed", async () => {
    expect((await cli(["hf://t/hf-clean"])).code).toBe(0);
    expect((await cli(["hf://t/hf-offset-bug"])).code).toBe(1);
    const mixed = await cli(["hf-clean", "hf://t/hf-offset-bug", "--format", "sarif"]);
    expect(mixed.code).toBe(1);
    const uris = JSON.parse(mixed.out).runs[0].results.map((x: { locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }) => x.locations[0].physicalLocation.artifactLocation.uri);
    expect(uris).toEqual([`${server.url}/t/hf-offset-bug/blob/${server.commitOf("t/hf-offset-bug")}/config.json`]);
    const text = await cli(["hf://t/hf-offset-bug", "no-such-dir"]);
    expect(text.code).toBe(2);
    expect(text.out).toMatch(/NL303 \[error\][^]*normlint: hf:\/\/t\/hf-offset-bug: commit [0-9a-f]{12}, \d+ requests, [\d.]+ KiB fetched\n$/);
  });
});

describe("verify", () => {
  it("takes hf:// targets: the comparison on the remote norm tensors, read by range", async () => {
    const r = await cli(["verify", "hf://t/hf-offset-bug", "--cpu", "--json"]);
    expect(r.code, r.err).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.folder).toBe("hf://t/hf-offset-bug");
    expect(j.result.verdict.kind).toBe("offset-twice");
    expect(r.err).toMatch(/normlint verify: hf:\/\/t\/hf-offset-bug: commit [0-9a-f]{12}, \d+ requests, [\d.]+ KiB fetched/);
    const gated = await cli(["verify", "hf://t/gated", "--cpu"]);
    expect(gated.code).toBe(2);
    expect(gated.err).toMatch(/is gated/);
  });
});

describe("the built CLI reads the Hub settings from the environment", () => {
  it("HF_ENDPOINT, HF_TOKEN, NORMLINT_CACHE and HF_HUB_OFFLINE", async () => {
    ensureBuilt();
    const cache = join(root, "cache-env");
    const spawnCli = (args: string[], env: Record<string, string>) =>
      new Promise<Run>((resolve) => {
        const child = spawn(process.execPath, [CLI, ...args], { cwd: root, env: { ...process.env, HF_TOKEN: "", HF_TOKEN_PATH: join(root, "no-token"), NORMLINT_CACHE: cache, HF_ENDPOINT: server.url, ...env } });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (err += d));
        child.on("close", (code) => resolve({ code: code ?? -1, out, err }));
      });
    const online = await spawnCli(["hf://t/gated", "--format", "jsonl"], { HF_TOKEN: "hf_good" });
    expect(online.code, online.err).toBe(1);
    const line = JSON.parse(online.out);
    expect(line).toMatchObject({ repo: "t/gated", commit: server.commitOf("t/gated"), summary: { errors: 1 } });
    const mark = server.requests.length;
    const offline = await spawnCli(["hf://t/gated", "--format", "jsonl"], { HF_HUB_OFFLINE: "1" });
    expect(offline.code).toBe(1);
    expect(JSON.parse(offline.out)).toMatchObject({ findings: line.findings, requests: 0, bytes: 0, offline: true });
    expect(offline.err).toMatch(/0 requests, 0 B fetched \(\d+ reads from cache; offline, from cache\)/);
    expect(server.requests.length).toBe(mark);
    const noToken = await spawnCli(["hf://t/gated"], {});
    expect(noToken.code).toBe(2);
    expect(noToken.err).toMatch(/is gated \(HTTP 401\)/);
  });
});
