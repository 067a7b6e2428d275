#!/usr/bin/env node
// Lints each project exported into .cache/projects/ by scripts/corpus/fetch-projects.sh with the built
// CLI (dist/cli.js; run `npm run build` first), the way a user would lint a checkout: the whole
// project directory, from inside it, with .gitignore not respected. Prints one row per project: files
// linted, findings by severity, findings at warning or above by rule code, and the time the CLI took
// against `ast.parse` of the same project's .py files measured in the same run, also net of the two
// processes' start-up (measured on one small file), which is most of either figure on a small project.
//
//   node scripts/corpus/lint-projects.mjs [--list] [--repeat N] [--corpus engines|converters] [project ...]
//
// --corpus engines lints .cache/engines/ (the recall corpus of issue 15) instead of .cache/projects/,
// --corpus converters .cache/converters/ (the converters corpus of issue 17).
// --list prints every finding at warning or above as `project file:line CODE severity message`.
// --repeat N runs both timings N times and keeps the fastest (default 1).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { performance } from "node:perf_hooks";

const root = join(import.meta.dirname, "..", "..");
const cli = join(root, "dist", "cli.js");

const args = process.argv.slice(2);
const list = args.includes("--list");
const repeatAt = args.indexOf("--repeat");
const repeat = repeatAt >= 0 ? Math.max(1, Number(args[repeatAt + 1]) || 1) : 1;
const corpusAt = args.indexOf("--corpus");
const corpus = corpusAt >= 0 ? args[corpusAt + 1] : "projects";
if (!["projects", "engines", "converters"].includes(corpus)) fail(`--corpus takes projects, engines or converters, not ${corpus}`);
const cache = join(root, ".cache", corpus);
const valued = new Set([repeatAt, corpusAt].filter((i) => i >= 0).map((i) => i + 1));
const named = args.filter((a, i) => !a.startsWith("--") && !valued.has(i));

if (!existsSync(cli)) fail(`${cli} is missing: run npm run build`);
if (!existsSync(cache)) fail(`${cache} is missing: run scripts/corpus/fetch-projects.sh <project>=<git dir> ...`);
const projects = (named.length ? named : readdirSync(cache).filter((p) => existsSync(join(cache, p, "SOURCE.json"))).sort());

// ast.parse of every file, counting the ones Python 3 cannot parse instead of stopping at the first
// (a few projects keep Python 2 scripts or notebooks exported as .py).
const AST = "import ast,sys\nbad=0\nfor f in sys.argv[1:]:\n  try: ast.parse(open(f,'rb').read())\n  except (SyntaxError, ValueError): bad+=1\nprint(bad)";

function fail(msg) {
  console.error(msg);
  process.exit(2);
}

function pyFiles(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? pyFiles(p) : f.endsWith(".py") ? [p] : [];
  });
}

function timed(fn) {
  let best = Infinity;
  let out;
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    out = fn();
    best = Math.min(best, performance.now() - t);
  }
  return { ms: best, out };
}

// Process start-up, measured on a folder holding one small norm file (so normlint loads its parser,
// as it does on every project), lets the ratio also be given net of it: on a small project start-up
// is most of either figure. A net figure is left out when either side is within noise of start-up.
const tiny = mkdtempSync(join(tmpdir(), "normlint-startup-"));
writeFileSync(join(tiny, "norm.py"), "import torch\n\n\nclass RMSNorm(torch.nn.Module):\n    def forward(self, x):\n        return x * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + 1e-6)\n");
const lintStartup = timed(() => spawnSync(process.execPath, [cli, ".", "--format", "json", "--no-respect-gitignore"], { cwd: tiny })).ms;
const parseStartup = timed(() => spawnSync("python3", ["-c", AST, "norm.py"], { cwd: tiny })).ms;
rmSync(tiny, { recursive: true });

const rows = [];
const listed = [];
for (const project of projects) {
  const dir = join(cache, project);
  const lint = timed(() => spawnSync(process.execPath, [cli, ".", "--format", "json", "--no-respect-gitignore"], { cwd: dir, encoding: "utf8", maxBuffer: 1 << 28 }));
  if (lint.out.status !== 0 && lint.out.status !== 1) fail(`${project}: normlint exited ${lint.out.status}\n${lint.out.stderr}`);
  const report = JSON.parse(lint.out.stdout);
  const py = pyFiles(dir).map((f) => relative(dir, f));
  const parse = timed(() => spawnSync("python3", ["-c", AST, ...py], { cwd: dir, encoding: "utf8" }));
  if (parse.out.status !== 0) fail(`${project}: python3 failed\n${parse.out.stderr}`);
  const byRule = new Map();
  for (const f of report.findings) {
    if (f.severity === "info") continue;
    byRule.set(f.code, (byRule.get(f.code) ?? 0) + 1);
    listed.push(`${project} ${f.file}:${f.line} ${f.code} ${f.severity} ${f.message}`);
  }
  const s = report.summary;
  rows.push({
    project,
    linted: s.linted,
    py: py.length,
    unparsable: Number(parse.out.stdout.trim()),
    errors: s.errors,
    warnings: s.warnings,
    infos: s.infos,
    byRule: [...byRule].sort(([a], [b]) => a.localeCompare(b)).map(([c, n]) => `${c}×${n}`).join(" ") || "-",
    lintMs: lint.ms,
    parseMs: parse.ms,
  });
}

const total = rows.reduce(
  (t, r) => ({ ...t, linted: t.linted + r.linted, py: t.py + r.py, unparsable: t.unparsable + r.unparsable, errors: t.errors + r.errors, warnings: t.warnings + r.warnings, infos: t.infos + r.infos, lintMs: t.lintMs + r.lintMs, parseMs: t.parseMs + r.parseMs }),
  { project: "total", linted: 0, py: 0, unparsable: 0, errors: 0, warnings: 0, infos: 0, lintMs: 0, parseMs: 0 },
);
const totalRules = new Map();
for (const r of rows) for (const part of r.byRule.split(" ")) if (part !== "-") {
  const [code, n] = part.split("×");
  totalRules.set(code, (totalRules.get(code) ?? 0) + Number(n));
}
total.byRule = [...totalRules].sort(([a], [b]) => a.localeCompare(b)).map(([c, n]) => `${c}×${n}`).join(" ") || "-";

const header = ["project", "linted", ".py", "error", "warning", "info", "warning+ by rule", "normlint ms", "ast.parse ms", "ratio", "net of start-up"];
const cells = [...rows, total].map((r) => {
  const startups = r === total ? rows.length : 1;
  const lintNet = r.lintMs - startups * lintStartup;
  const parseNet = r.parseMs - startups * parseStartup;
  const netRatio = lintNet > 100 && parseNet > 100 ? `${(lintNet / parseNet).toFixed(2)}x` : "-";
  return [r.project, r.linted, r.unparsable ? `${r.py} (${r.unparsable} unparsable)` : r.py, r.errors, r.warnings, r.infos, r.byRule, r.lintMs.toFixed(0), r.parseMs.toFixed(0), `${(r.lintMs / r.parseMs).toFixed(2)}x`, netRatio].map(String);
});
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
const line = (c) => `| ${c.map((x, i) => x.padEnd(widths[i])).join(" | ")} |`;
console.log(line(header));
console.log(`| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`);
for (const c of cells) console.log(line(c));
console.log(`\nnormlint (whole project: .py, .ipynb, .json) against python3 ast.parse of the same .py files, each a fresh process, best of ${repeat}; start-up (one small file): normlint ${lintStartup.toFixed(0)} ms, python3 ${parseStartup.toFixed(0)} ms.`);
if (list) console.log(`\n${listed.join("\n")}`);
