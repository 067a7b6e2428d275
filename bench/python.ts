// Python modeling-code analysis: lint a corpus of real Python files (the standard library of the
// python3 on this machine, topped up from its other sys.path folders when the stdlib has fewer than
// NORMLINT_BENCH_PY_FILES files) and compare with `python3 -c` doing nothing but ast.parse on the
// same files in one process. Then the relint latency of a 3,000-line modeling file after one-line
// edits, with tree-sitter's incremental reparse (parser.edit + the previous tree).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { loadPythonWasm } from "../src/node/wasm";
import { defaultSettings } from "../src/engine/index";
import { createPythonParser, lintPython, type PythonParser, type PythonTree, userLevels } from "../src/engine/python";
import { dependsOnProject, judgeFindings, needsProject, Project, summaryKey } from "../src/engine/project/index";
import { ProjectIndex } from "../src/extension/project-index";

const TARGET = Number(process.env.NORMLINT_BENCH_PY_FILES ?? 2500);
const ROUNDS = 3;

function python(args: string[], input?: string): { ok: boolean; stdout: string; stderr: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync("python3", args, { input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, stdout: r.stdout ?? "", stderr: r.stderr ?? (r.error ? String(r.error) : ""), ms: performance.now() - t0 };
}

/** `.py` files under a folder, sorted, skipping site-packages when walking the stdlib. */
function walkPy(dir: string, out: string[], skipSitePackages: boolean): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name === "__pycache__" || (skipSitePackages && /^(site|dist)-packages$/.test(e.name))) continue;
      walkPy(p, out, skipSitePackages);
    } else if (e.isFile() && e.name.endsWith(".py")) out.push(p);
  }
}

/** The corpus: the whole stdlib, then other sys.path folders until TARGET files. */
export function corpus(): { files: string[]; stdlib: number; where: string } | { error: string } {
  const r = python(["-c", "import sys, sysconfig; print(sysconfig.get_paths()['stdlib']); [print(p) for p in sys.path if p]"]);
  if (!r.ok) return { error: `python3 not usable: ${r.stderr.trim() || "not found"}` };
  const [stdlibDir, ...others] = r.stdout.trim().split("\n");
  const files: string[] = [];
  walkPy(stdlibDir, files, true);
  const stdlib = files.length;
  const seen = new Set(files);
  for (const dir of others) {
    if (files.length >= TARGET || !/(site|dist)-packages/.test(dir)) continue;
    const more: string[] = [];
    walkPy(dir, more, false);
    for (const f of more) {
      if (files.length >= TARGET) break;
      if (!seen.has(f)) {
        seen.add(f);
        files.push(f);
      }
    }
  }
  return { files, stdlib, where: stdlibDir };
}

// ast.parse on every file, in one process, timed inside it (reading included, as ours is).
const AST_SCRIPT = `
import ast, sys, time, warnings
warnings.simplefilter("ignore")
paths = sys.stdin.read().split("\\n")
best = None
for _ in range(int(sys.argv[1])):
    failed = 0
    t0 = time.perf_counter()
    for p in paths:
        with open(p, "rb") as f:
            src = f.read()
        try:
            ast.parse(src, p)
        except (SyntaxError, ValueError):
            failed += 1
    t = time.perf_counter() - t0
    best = t if best is None else min(best, t)
print(best * 1000, failed)
`;

function ms(t: number): string {
  return t >= 100 ? `${t.toFixed(0)} ms` : `${t.toFixed(2)} ms`;
}

/** A 3,000-line modeling file: norm classes of several kinds, blocks and a model, repeated. */
/** A loader module for the relint bench's project: renames checkpoint keys, as real loaders do. */
const LOADER = `import torch


def load(model, path):
    sd = torch.load(path, map_location="cpu")
    for k in list(sd):
        sd[k.replace(".g", ".weight").replace(".b", ".bias")] = sd.pop(k)
    model.load_state_dict(sd)
`;

export function modelingFile(lines: number): string {
  const head = "import math\nimport torch\nfrom torch import nn\nimport torch.nn.functional as F\n\n";
  const unit = (i: number) => `
class RMSNorm${i}(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        input_dtype = x.dtype
        x = x.to(torch.float32)
        variance = x.pow(2).mean(-1, keepdim=True)
        x = x * torch.rsqrt(variance + self.eps)
        return self.weight * x.to(input_dtype)


class Attention${i}(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.q_proj = nn.Linear(config.hidden_size, config.hidden_size, bias=False)
        self.k_proj = nn.Linear(config.hidden_size, config.hidden_size, bias=False)
        self.v_proj = nn.Linear(config.hidden_size, config.hidden_size, bias=False)
        self.o_proj = nn.Linear(config.hidden_size, config.hidden_size, bias=False)
        self.q_norm = RMSNorm${i}(config.head_dim, eps=config.rms_norm_eps)

    def forward(self, x):
        q = self.q_norm(self.q_proj(x))
        k, v = self.k_proj(x), self.v_proj(x)
        w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]), dim=-1)
        return self.o_proj(w @ v)


class Block${i}(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.self_attn = Attention${i}(config)
        self.mlp = nn.Sequential(nn.Linear(config.hidden_size, 4 * config.hidden_size), nn.GELU(), nn.Linear(4 * config.hidden_size, config.hidden_size))
        self.input_layernorm = RMSNorm${i}(config.hidden_size, eps=config.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm${i}(config.hidden_size, eps=config.rms_norm_eps)
        self.extra_norm = nn.LayerNorm(config.hidden_size, eps=1e-5)

    def forward(self, x):
        x = x + self.self_attn(self.input_layernorm(x))
        x = x + self.mlp(self.post_attention_layernorm(x))
        return F.layer_norm(self.extra_norm(x), (x.shape[-1],), eps=1e-5)
`;
  let text = head;
  for (let i = 0; text.split("\n").length < lines; i++) text += unit(i);
  return text.split("\n").slice(0, lines).join("\n") + "\n";
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function relint(parser: PythonParser): Promise<string[]> {
  const settings = defaultSettings();
  const path = "modeling_bench.py";
  let text = modelingFile(3000);
  // Edits alternate between two eps literals on lines spread over the file.
  const sites: number[] = [];
  for (let i = text.indexOf("eps=1e-6"); i >= 0; i = text.indexOf("eps=1e-6", i + 1)) sites.push(i + 4);
  let tree: PythonTree = parser.parse(text);
  // The editor's project index, as the extension keeps it: the file among 40 sibling modules (one a
  // loader renaming keys), so each relint also updates the index and judges the file against it.
  const root = "file:///bench";
  const index = new ProjectIndex({ Project, judgeFindings, dependsOnProject, needsProject, summaryKey }, async () => undefined);
  for (let i = 0; i < 40; i++) {
    const sibling = i === 0 ? LOADER : modelingFile(60).replaceAll("Bench", `Sib${i}`);
    const r = lintPython({ path: `sib${i}.py`, text: sibling }, settings, parser, { project: "defer" });
    if ("summary" in r) index.add(`${root}/sib${i}.py`, { root, summary: r.summary, levels: userLevels(settings), beside: false });
  }
  let published = 0;
  const reindex = (r: ReturnType<typeof lintPython>) => {
    if ("summary" in r) index.update(`${root}/${path}`, { root, summary: r.summary, raw: r.findings, levels: userLevels(settings), beside: false, publish: () => void published++ });
  };
  reindex(lintPython({ path, text }, settings, parser, { tree, project: "defer" }));
  const incremental: number[] = [];
  const reparse: number[] = [];
  const full: number[] = [];
  let findings = 0;
  for (let k = 0; k < 50 + 5; k++) {
    const at = sites[(k * 7) % sites.length];
    const old = text.slice(at, at + 4);
    const change = { start: at, end: at + 4, text: old === "1e-6" ? "1e-5" : "1e-6" };
    const t0 = performance.now();
    text = parser.edit(tree, change);
    const next = parser.parse(text, tree);
    const tParsed = performance.now();
    tree.delete();
    tree = next;
    const r = lintPython({ path, text }, settings, parser, { tree, project: "defer" });
    reindex(r);
    const t1 = performance.now();
    // The same text from scratch: a fresh parse and lint.
    const r2 = lintPython({ path, text }, settings, parser, { project: "defer" });
    const t2 = performance.now();
    if (r.findings.length !== r2.findings.length) throw new Error("incremental and full lint disagree");
    findings = r.findings.length;
    // The first few rounds warm the JIT.
    if (k >= 5) {
      incremental.push(t1 - t0);
      reparse.push(tParsed - t0);
      full.push(t2 - t1);
    }
  }
  tree.delete();
  if (published < 50) throw new Error(`the project index published ${published} times for 50 edits`);
  for (const list of [incremental, reparse, full]) list.sort((a, b) => a - b);
  return [
    `relint of a 3,000-line modeling file (${text.length.toLocaleString("en")} chars, ${findings} findings) after a one-line edit, 50 edits:`,
    `  incremental (parser.edit + reparse with the old tree + lint + project index update): p50 ${ms(percentile(incremental, 50))}, p95 ${ms(percentile(incremental, 95))}` +
      ` (the reparse, with the copy of the tree into JS objects: p50 ${ms(percentile(reparse, 50))}; the rest is the analysis and the rules)`,
    `  from scratch (parse + lint):                                  p50 ${ms(percentile(full, 50))}, p95 ${ms(percentile(full, 95))}`,
  ];
}

export async function runPythonBench(onlyRelint = false): Promise<string[]> {
  if (onlyRelint) {
    const parser = await createPythonParser(loadPythonWasm([__dirname]));
    try {
      return await relint(parser);
    } finally {
      parser.dispose();
    }
  }
  const out: string[] = [];
  const c = corpus();
  if ("error" in c) return [`skipped: ${c.error}`];
  const { files, stdlib } = c;
  const bytes = files.map((f) => statSync(f).size).reduce((a, b) => a + b, 0);
  out.push(
    `corpus: ${files.length} .py files, ${(bytes / 1024 / 1024).toFixed(1)} MiB (${stdlib} from the standard library at ${c.where}${files.length > stdlib ? `, ${files.length - stdlib} from python3's other sys.path folders` : ""})`,
  );
  if (files.length < 2000) out.push(`  note: fewer than 2,000 files found; set NORMLINT_BENCH_PY_FILES or install more packages`);

  const parser = await createPythonParser(loadPythonWasm([__dirname]));
  const settings = defaultSettings();
  try {
    // ast.parse baseline, best of ROUNDS inside one python3 process.
    let base: { ms: number; failed: number; wall: number } | undefined;
    const r = python(["-c", AST_SCRIPT, String(ROUNDS)], files.join("\n"));
    if (r.ok) {
      const [t, failed] = r.stdout.trim().split(/\s+/).map(Number);
      base = { ms: t, failed, wall: r.ms };
    } else out.push(`  ast.parse baseline failed: ${r.stderr.trim().split("\n").pop()}`);

    const lintAll = (prefilter: boolean) => {
      let findings = 0;
      let skipped = 0;
      let parsed = 0;
      const t0 = performance.now();
      for (const f of files) {
        const r = lintPython({ path: f, bytes: readFileSync(f) }, settings, parser, { prefilter });
        findings += r.findings.length;
        if (r.status === "skipped") skipped++;
        else parsed++;
      }
      return { ms: performance.now() - t0, findings, skipped, parsed };
    };
    // Warm up, then best of ROUNDS; parsing every file (no prefilter) is shown once, for scale.
    lintAll(true);
    let bestPre = { ms: Infinity, findings: 0, skipped: 0, parsed: 0 };
    for (let i = 0; i < ROUNDS; i++) {
      const a = lintAll(true);
      if (a.ms < bestPre.ms) bestPre = a;
    }
    const bestAll = lintAll(false);
    const rate = (n: number, t: number) => `${Math.round((n / t) * 1000).toLocaleString("en")} files/s`;
    if (base) out.push(`python3 ast.parse (read + parse, one process, best of ${ROUNDS}): ${ms(base.ms)} (${rate(files.length, base.ms)}; ${base.failed} files Python cannot parse; process wall ${ms(base.wall)})`);
    out.push(
      `normlint, prefiltered (best of ${ROUNDS}): ${ms(bestPre.ms)} (${rate(files.length, bestPre.ms)}); ${bestPre.skipped} files skipped unparsed (no norm-related text), ${bestPre.parsed} parsed and analysed, ${bestPre.findings} findings`,
    );
    out.push(`normlint, every file parsed (once): ${ms(bestAll.ms)} (${rate(files.length, bestAll.ms)}); ${bestAll.findings} findings`);
    if (base) out.push(`ratio normlint / ast.parse: prefiltered ${(bestPre.ms / base.ms).toFixed(2)}x, every file parsed ${(bestAll.ms / base.ms).toFixed(2)}x (below 1 is faster)`);
    out.push(...(await relint(parser)));
  } finally {
    parser.dispose();
  }
  return out;
}
