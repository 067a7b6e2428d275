// Python files linted on worker threads (src/cli/pool.ts): the report is byte-identical to a run on
// the main thread, whatever finishes first; files in a model folder, notebooks, syntax errors and
// files over the size cap come out the same; and the worker count follows the file count.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PythonPool, workerCount } from "../src/cli/pool";
import { defaultSettings } from "../src/engine/index";
import { ensureBuilt, runCli } from "./harness/cli";

const FIXTURE = readFileSync(join(__dirname, "fixtures", "norm-cast-order-mismatch", "clean.py"), "utf8");
let dir: string;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "normlint-pool-"));
  for (let i = 0; i < 40; i++) {
    mkdirSync(join(dir, `pkg${i % 4}`), { recursive: true });
    // Every third file drops nothing, every other carries Gemma's missing offset (NL201), some
    // have a syntax error, some mention no norm (skipped unparsed).
    const gemma = FIXTURE.replace("normlint-test: model_type=olmo2", "normlint: model_type=gemma").replace("Olmo2RMSNorm", `GemmaRMSNorm${i}`).replace("torch.ones", "torch.zeros");
    const text = i % 5 === 0 ? "def broken(:\n    return nn.LayerNorm(4)\n" : i % 7 === 0 ? "x = 1\n" : i % 2 ? gemma : FIXTURE;
    writeFileSync(join(dir, `pkg${i % 4}`, `modeling_${i}.py`), text);
  }
  writeFileSync(join(dir, "pkg0", "nb.ipynb"), JSON.stringify({ cells: [{ cell_type: "code", source: FIXTURE.replace("Olmo2RMSNorm", "GemmaRMSNorm").replace("olmo2", "gemma") }], metadata: {}, nbformat: 4, nbformat_minor: 5 }));
  // A model folder: its Python stays on the main thread, where the folder's rules read it.
  mkdirSync(join(dir, "model"));
  writeFileSync(join(dir, "model", "config.json"), JSON.stringify({ model_type: "olmo2", rms_norm_eps: 1e-6 }));
  writeFileSync(join(dir, "model", "modeling_olmo2.py"), FIXTURE);
  writeFileSync(join(dir, ".normlint.json"), JSON.stringify({ maxFileSize: 3000 }));
  writeFileSync(join(dir, "pkg1", "big_norm.py"), `# RMSNorm\n${"x = 1\n".repeat(1000)}`);
  // Not UTF-8 and no norm in it: reported as unreadable, not skipped, on either path.
  writeFileSync(join(dir, "pkg2", "latin1.py"), Buffer.from([0x23, 0x20, 0xe9, 0x74, 0xe9, 0x0a, 0x78, 0x20, 0x3d, 0x20, 0x31, 0x0a]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Python on worker threads", () => {
  it("gives the same report as the main thread, byte for byte, in every format", () => {
    for (const format of ["json", "sarif", "text"]) {
      const local = runCli([".", "--format", format], dir, { env: { NORMLINT_JOBS: "1" }, timeout: 60_000 });
      const pooled = runCli([".", "--format", format], dir, { env: { NORMLINT_JOBS: "2" }, timeout: 60_000 });
      expect(local.stderr).toBe("");
      expect(pooled.stderr).toBe("");
      expect(pooled.status).toBe(local.status);
      expect(pooled.stdout).toBe(local.stdout);
    }
    const report = JSON.parse(runCli([".", "--format", "json"], dir, { env: { NORMLINT_JOBS: "2" }, timeout: 60_000 }).stdout);
    const codes = report.findings.map((f: { code: string }) => f.code);
    // The findings the files carry, so the identical reports are not identically empty.
    expect(codes.filter((c: string) => c === "NL201").length).toBeGreaterThan(10);
    expect(codes).toContain("NL200");
    expect(report.findings.some((f: { file: string }) => f.file.endsWith("nb.ipynb"))).toBe(true);
    expect(report.findings.some((f: { file: string; code: string }) => f.file.endsWith("big_norm.py") && f.code === "NL200")).toBe(true);
    expect(report.summary.skipped).toBeGreaterThan(0);
    expect(report.findings.find((f: { file: string }) => f.file.endsWith("latin1.py"))).toMatchObject({ code: "NL200" });
  });

  it("starts workers only for enough files, one per core up to 8, or as NORMLINT_JOBS says", () => {
    expect(workerCount(31, {})).toBe(0);
    expect(workerCount(32, {})).toBeGreaterThanOrEqual(1);
    expect(workerCount(10_000, {})).toBeLessThanOrEqual(8);
    expect(workerCount(32, {})).toBeLessThanOrEqual(2);
    expect(workerCount(500, { NORMLINT_JOBS: "1" })).toBe(0);
    expect(workerCount(500, { NORMLINT_JOBS: "0" })).toBe(0);
    expect(workerCount(5, { NORMLINT_JOBS: "3" })).toBe(3);
    expect(workerCount(2, { NORMLINT_JOBS: "3" })).toBe(2);
    // Not a count: the default rule.
    expect(workerCount(31, { NORMLINT_JOBS: "many" })).toBe(0);
  });

  it("lets its workers exit on their own when closed, after linting on them", async () => {
    let local = 0;
    const pool = new PythonPool(join(__dirname, "..", "dist", "cli.js"), 2, async () => {
      local++;
      return { skipped: true, text: "", findings: [] } as never;
    });
    const bytes = new TextEncoder().encode(FIXTURE.replace("Olmo2RMSNorm", "GemmaRMSNorm").replace("olmo2", "gemma").replace("torch.ones", "torch.zeros"));
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.run({ kind: "python", path: `m${i}.py`, bytes, size: bytes.length, settings: defaultSettings(), prefilter: true })));
    expect(local).toBe(0);
    expect(results.every((r) => !r.skipped && r.findings.some((f) => f.code === "NL201"))).toBe(true);
    // Exit code 0: each worker closed its port and ended; a terminated one would say 1.
    expect(await pool.close()).toEqual([0, 0]);
  });
});
