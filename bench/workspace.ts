// npm run bench, workspace part: one generated workspace of model folders (config.json + a small
// safetensors checkpoint), Python (files of python3's standard library, and generated modeling files
// dense with norm classes) and loose configs, linted whole by the CLI and compared with doing nothing
// but parsing the same files (python3 ast.parse on the .py files, JSON.parse on the configs and the
// checkpoints' JSON headers). The generated modeling files alone are the worst case, shown apart. Then the editor side on the same tree: activation
// of dist/extension.js in a stub host against bare Node startup, and the memory the extension host
// takes to lint that whole workspace (Lint Workspace) against the same process before activation.
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { buildSafetensors } from "../test/harness/checkpoint-builder";
import { folderDesc } from "../test/harness/model-folder";
import { generateConfig } from "./corpus";
import { corpus as pythonCorpus, modelingFile } from "./python";

const FOLDERS = Number(process.env.NORMLINT_BENCH_WS_FOLDERS ?? 1000);
const PY = Number(process.env.NORMLINT_BENCH_WS_PY ?? 200);
const STDLIB = Number(process.env.NORMLINT_BENCH_WS_STDLIB ?? 1500);
const CONFIGS = Number(process.env.NORMLINT_BENCH_WS_CONFIGS ?? 4000);
const ROUNDS = 3;

const CLI = join(__dirname, "cli.js");
const PROBE = join(__dirname, "..", "test", "extension", "activation-probe.cjs");
const FAMILIES = ["llama", "gemma2", "qwen2", "mistral", "gemma", "phi3"];

interface Corpus {
  dir: string;
  py: string[];
  /** The generated modeling files (a subset of py), under `src/`. */
  modeling: string[];
  json: string[];
  safetensors: string[];
  bytes: number;
}

export function generate(): Corpus {
  const dir = mkdtempSync(join(tmpdir(), "normlint-bench-ws-"));
  mkdirSync(join(dir, ".git"));
  const c: Corpus = { dir, py: [], modeling: [], json: [], safetensors: [], bytes: 0 };
  const put = (rel: string, data: string | Uint8Array, list: string[]) => {
    const p = join(dir, rel);
    mkdirSync(join(p, ".."), { recursive: true });
    writeFileSync(p, data);
    list.push(p);
    c.bytes += data.length;
  };
  for (let i = 0; i < FOLDERS; i++) {
    const modelType = FAMILIES[i % FAMILIES.length];
    const { config, desc } = folderDesc({ modelType, layers: 4 + (i % 8), hidden: 256, fill: modelType.startsWith("gemma") ? "gemma-like" : "llama-like" });
    put(`models/m${i}/config.json`, JSON.stringify(config, null, 2) + "\n", c.json);
    put(`models/m${i}/model.safetensors`, buildSafetensors(desc, { seed: i }).bytes, c.safetensors);
  }
  // Modeling files of 100 to 1,000 lines, cut after a whole class so Python parses them; every
  // tenth one scales before casting back. They name no family (no config.json, no model_type
  // comment, generic class names), so every class is analysed in full but nothing is reported:
  // the workspace's findings come from the model folders.
  for (let i = 0; i < PY; i++) {
    let text = modelingFile(100 + ((i * 37) % 900));
    text = text.slice(0, text.lastIndexOf("\n\n\nclass ") + 1);
    if (i % 10 === 0) text = text.replace("return self.weight * x.to(input_dtype)", "return x * self.weight");
    put(`src/pkg${i % 20}/modeling_${i}.py`, text, c.py);
  }
  c.modeling = [...c.py];
  const std = pythonCorpus();
  if (!("error" in std)) for (const f of std.files.slice(0, STDLIB)) put(`vendor/${relative(std.where, f)}`, readFileSync(f), c.py);
  for (let i = 0; i < CONFIGS; i++) put(`configs/c${i}/config.json`, generateConfig(i), c.json);
  return c;
}

function wall(command: string, args: string[], input?: string, env: Record<string, string> = {}): { ms: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(command, args, { input, encoding: "utf8", maxBuffer: 1 << 30, env: { ...process.env, NODE_OPTIONS: "", ...env } });
  const ms = performance.now() - t0;
  if (r.error || (r.status !== 0 && r.status !== 1)) throw new Error(`${command} ${args[0]}: ${r.error ?? r.stderr}`);
  return { ms, stdout: r.stdout };
}

const AST = `import ast, sys, warnings
warnings.simplefilter("ignore")
for p in sys.stdin.read().split("\\n"):
    with open(p, "rb") as f:
        src = f.read()
    try:
        ast.parse(src, p)
    except (SyntaxError, ValueError):
        pass`;
// JSON.parse of each config, and of each checkpoint's JSON header (8-byte length, then the header).
const JSON_SCRIPT = `const fs=require("fs");const [j,s]=JSON.parse(require("fs").readFileSync(0,"utf8"));
for(const p of j)JSON.parse(fs.readFileSync(p,"utf8"));
const b=Buffer.alloc(8);for(const p of s){const fd=fs.openSync(p,"r");fs.readSync(fd,b,0,8,0);const n=Number(b.readBigUInt64LE(0));const h=Buffer.alloc(n);fs.readSync(fd,h,0,n,8);fs.closeSync(fd);JSON.parse(h.toString("utf8"))}`;

const best = (xs: number[]) => Math.min(...xs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const ms = (t: number) => (t >= 100 ? `${t.toFixed(0)} ms` : `${t.toFixed(1)} ms`);

interface Probe {
  requireMs: number;
  activateMs: number;
  totalMs: number;
  engineLoadedAtActivation: boolean;
  memory: { start: { rss: number; heapUsed: number }; activated: { rss: number; heapUsed: number }; end: { rss: number; heapUsed: number }; maxRss: number };
  workspace?: { ms: number; summary?: string };
}

function probe(folder: string, lintWorkspace: boolean): { probe: Probe; wallMs: number } {
  const r = wall(process.execPath, ["--expose-gc", PROBE, folder, ...(lintWorkspace ? ["--lint-workspace"] : [])]);
  return { probe: JSON.parse(r.stdout) as Probe, wallMs: r.ms };
}

export async function runWorkspaceBench(): Promise<string[]> {
  const out: string[] = [];
  const c = generate();
  try {
    const files = c.py.length + c.json.length + c.safetensors.length;
    out.push(
      `corpus: ${files.toLocaleString("en")} files, ${mib(c.bytes)}: ${c.json.length} config.json (${FOLDERS} in model folders), ${c.safetensors.length} safetensors checkpoints (${FAMILIES.join(", ")}), ` +
        `${c.py.length} .py files (${c.py.length - c.modeling.length} from the standard library, ${c.modeling.length} generated modeling files of 100-1,000 lines)`,
    );
    const python = spawnSync("python3", ["-c", "pass"]).status === 0;
    const cliRuns: number[] = [];
    const serialRuns: number[] = [];
    const astRuns: number[] = [];
    const jsonRuns: number[] = [];
    let summary = "";
    // Interleaved, so drift on a shared machine hits all three alike; best of ROUNDS each.
    for (let r = 0; r < ROUNDS; r++) {
      const cli = wall(process.execPath, [CLI, c.dir, "--format", "json"]);
      cliRuns.push(cli.ms);
      const s = (JSON.parse(cli.stdout) as { summary: Record<string, number> }).summary;
      summary = `${s.files} files, ${s.linted} linted, ${s.errors} errors, ${s.warnings} warnings, ${s.infos} infos`;
      // The same run with every Python file on the main thread (no worker threads).
      serialRuns.push(wall(process.execPath, [CLI, c.dir, "--format", "json"], undefined, { NORMLINT_JOBS: "1" }).ms);
      if (python) astRuns.push(wall("python3", ["-c", AST], c.py.join("\n")).ms);
      jsonRuns.push(wall(process.execPath, ["-e", JSON_SCRIPT], JSON.stringify([c.json, c.safetensors])).ms);
    }
    out.push(`normlint CLI, whole workspace (walk, read, parse, analyse, folder rules, JSON report): ${ms(best(cliRuns))} (${summary})`);
    out.push(`  the same with NORMLINT_JOBS=1 (no worker threads): ${ms(best(serialRuns))}; worker threads: ${(best(serialRuns) / best(cliRuns)).toFixed(2)}x faster on ${availableParallelism()} cores`);
    if (python) out.push(`python3 ast.parse of the ${c.py.length} .py files (one process, wall): ${ms(best(astRuns))}`);
    if (python) {
      // The worst case: only the generated modeling files, every one dense with norm classes.
      const cli: number[] = [];
      const ast: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        cli.push(wall(process.execPath, [CLI, join(c.dir, "src"), "--format", "json"]).ms);
        ast.push(wall("python3", ["-c", AST], c.modeling.join("\n")).ms);
      }
      out.push(`  norm-dense modeling files alone (${c.modeling.length}): normlint CLI ${ms(best(cli))} vs python3 ast.parse ${ms(best(ast))}: ${(best(cli) / best(ast)).toFixed(2)}x`);
    }
    out.push(`node JSON.parse of the ${c.json.length} configs and ${c.safetensors.length} checkpoint headers (one process, wall): ${ms(best(jsonRuns))}`);
    if (python) {
      const floor = best(astRuns) + best(jsonRuns);
      out.push(
        `ratio normlint / (ast.parse + JSON.parse): ${(best(cliRuns) / floor).toFixed(2)}x; normlint / ast.parse alone: ${(best(cliRuns) / best(astRuns)).toFixed(2)}x (goal: below 1, faster than Python merely parsing)`,
      );
    }

    // Activation: the probe's require + activate, and its whole process, against bare Node startup.
    const bare: number[] = [];
    const act: Array<{ probe: Probe; wallMs: number }> = [];
    const empty = mkdtempSync(join(tmpdir(), "normlint-bench-empty-"));
    writeFileSync(join(empty, "empty.js"), "");
    for (let r = 0; r < 5; r++) {
      bare.push(wall(process.execPath, ["--expose-gc", join(empty, "empty.js")]).ms);
      act.push(probe(empty, false));
    }
    rmSync(empty, { recursive: true, force: true });
    const total = median(act.map((a) => a.probe.totalMs));
    out.push(
      `activation (dist/extension.js in a stub host, median of 5): require + activate ${ms(total)}, activate() alone ${ms(median(act.map((a) => a.probe.activateMs)))}; ` +
        `engine loaded at activation: ${act.some((a) => a.probe.engineLoadedAtActivation)}; whole probe process ${ms(median(act.map((a) => a.wallMs)))} vs bare node startup ${ms(median(bare))} ` +
        `(activation = ${(total / median(bare)).toFixed(2)}x a node startup)`,
    );

    // Memory: Lint Workspace over the corpus (configs and Python; checkpoints are read per folder).
    const mem = probe(c.dir, true).probe;
    const m = mem.memory;
    out.push(
      `extension host memory, Lint Workspace over the corpus (${mem.workspace?.summary ?? "no summary"}; ${ms(mem.workspace?.ms ?? NaN)}): ` +
        `RSS ${mib(m.start.rss)} before activation (stub host, the baseline), ${mib(m.activated.rss)} activated, ${mib(m.end.rss)} after the lint (peak ${mib(m.maxRss)}): ` +
        `+${mib(m.end.rss - m.start.rss)} RSS; JS heap ${mib(m.start.heapUsed)} -> ${mib(m.end.heapUsed)} after GC (+${mib(m.end.heapUsed - m.start.heapUsed)})`,
    );
  } finally {
    rmSync(c.dir, { recursive: true, force: true });
  }
  return out;
}
