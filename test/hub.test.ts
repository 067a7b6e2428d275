// Models on the Hugging Face Hub, against a Hub-compatible server on 127.0.0.1 (test/harness/
// hub-server.ts): the same findings as the same folder linted locally, bytes and requests bounded
// by headers + norm tensors, the token kept on the Hub host, a flaky server ending in the right
// findings or a clear error, the budget, gated repositories, the offline cache and jsonl.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/cli/main";
import { type HubOptions } from "../src/node/hub/index";
import { type HubRepoSpec, type HubServer, startHubServer } from "./harness/hub-server";
import { ggufRepo, hostileRepo, type RepoFiles, safetensorsRepo, shardedRepo } from "./harness/hub-repos";

let root: string;
let server: HubServer;
const LAYOUTS: Record<string, RepoFiles> = {
  "hf-offset-bug": safetensorsRepo("gemma2", "llama-like"),
  "hf-clean": safetensorsRepo("gemma2", "gemma-like"),
  gguf: ggufRepo("gemma3", "gemma-like"),
  "mlx-doubled": safetensorsRepo("gemma2", "gemma-folded", { metadata: { format: "mlx" } }),
  sharded: shardedRepo("llama", "gemma-like", 3),
  hostile: hostileRepo(),
};
const repos: HubRepoSpec[] = [
  ...Object.entries(LAYOUTS).map(([name, files]) => ({ id: `t/${name}`, files })),
  { id: "t/gated", files: LAYOUTS["hf-offset-bug"], gated: true, grants: ["hf_good"] },
  { id: "t/private", files: LAYOUTS["hf-clean"], private: true, grants: ["hf_good"] },
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
  server = await startHubServer({ repos, tokens: ["hf_good", "hf_other"] });
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
      for (const f of r.findings) expect(f.file.startsWith(`${server.url}/t/${name}/blob/${commit}/`)).toBe(true);
      expect(remote.err).toMatch(new RegExp(`hf://t/${name}: commit ${commit.slice(0, 12)}, \\d+ requests`));
    });
  }
});
