#!/usr/bin/env node
// Recall on real engines (issue 15): injects known norm bug patterns (scripts/corpus/mutations.json,
// schemas/mutations.schema.json) into the real files of projects exported by
// scripts/corpus/fetch-projects.sh, lints each mutated project with the built CLI (dist/cli.js; run
// `npm run build` first) and counts a mutation caught when a finding of its expected rule appears at or
// near the replaced lines (NEAR lines either side) that the unmutated project does not have there.
// Each project is copied once into a temporary folder; every mutation is applied to the copy, linted
// and undone, so .cache/ is never written. Prints caught/total per idiom and the misses.
//
//   node scripts/corpus/mutate.mjs [--format text|json] [--only <id>,...] [project ...]
//
// A mutation whose `find` string does not occur exactly once in its file stops the run (exit 2): the
// data no longer matches the pinned snapshot. Projects absent from .cache/ are skipped and listed,
// loudly, under "absent"; they count in no total.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
const cli = join(root, "dist", "cli.js");
const NEAR = 3;
const IDIOMS = ["hf-module", "custom-op", "weight-outside-init", "free-function", "load-transform", "declaration-flag", "kernel-wrapper", "mlx", "fold"];

const args = process.argv.slice(2);
const valueOf = (flag) => {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
};
const format = valueOf("--format") ?? "text";
const only = valueOf("--only")?.split(",");
const named = args.filter((a, i) => !a.startsWith("--") && !["--format", "--only"].includes(args[i - 1]));

function fail(msg) {
  console.error(`mutate: ${msg}`);
  process.exit(2);
}

if (!existsSync(cli)) fail(`${cli} is missing: run npm run build`);
const data = JSON.parse(readFileSync(join(import.meta.dirname, "mutations.json"), "utf8"));
const ids = new Set();
for (const m of data.mutations) {
  for (const key of ["id", "project", "file", "find", "replace", "idiom", "incident", "rule", "pattern"]) {
    if (typeof m[key] !== "string") fail(`mutation ${m.id ?? "?"}: "${key}" must be a string`);
  }
  if (!IDIOMS.includes(m.idiom)) fail(`mutation ${m.id}: unknown idiom ${m.idiom}`);
  if (ids.has(m.id)) fail(`mutation id ${m.id} is used twice`);
  ids.add(m.id);
}
if (only) for (const id of only) if (!ids.has(id)) fail(`--only names no mutation ${id}`);
const selected = data.mutations.filter((m) => (!only || only.includes(m.id)) && (!named.length || named.includes(m.project)));

/** The exported project's folder: the recall corpus first, then the whole-projects corpus. */
function projectDir(project) {
  for (const corpus of ["engines", "projects"]) {
    const dir = join(root, ".cache", corpus, project);
    if (existsSync(join(dir, "SOURCE.json"))) return dir;
  }
  return undefined;
}

/** Findings of the CLI over the whole folder, linted from inside it as a user would. */
function lint(dir) {
  const r = spawnSync(process.execPath, [cli, ".", "--format", "json", "--no-respect-gitignore"], { cwd: dir, encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0 && r.status !== 1) fail(`normlint exited ${r.status} in ${dir}\n${r.stderr}`);
  return JSON.parse(r.stdout).findings;
}

const lineOf = (text, offset) => text.slice(0, offset).split("\n").length;

const results = [];
const absent = new Set();
const byProject = new Map();
for (const m of selected) byProject.set(m.project, [...(byProject.get(m.project) ?? []), m]);
for (const [project, mutations] of byProject) {
  const source = projectDir(project);
  if (!source) {
    absent.add(project);
    continue;
  }
  // Check every mutation against the snapshot before spending time on linting.
  for (const m of mutations) {
    const path = join(source, m.file);
    if (!existsSync(path)) fail(`mutation ${m.id}: ${project}/${m.file} does not exist`);
    const count = readFileSync(path, "utf8").split(m.find).length - 1;
    if (count !== 1) fail(`mutation ${m.id}: its find string occurs ${count} times in ${project}/${m.file}, not once`);
  }
  const copy = mkdtempSync(join(tmpdir(), `normlint-mutate-${project}-`));
  try {
    cpSync(source, copy, { recursive: true });
    const baseline = lint(copy);
    for (const m of mutations) {
      const path = join(copy, m.file);
      const original = readFileSync(path, "utf8");
      const offset = original.indexOf(m.find);
      const mutated = original.slice(0, offset) + m.replace + original.slice(offset + m.find.length);
      // Replaced lines before and after, and how far later lines moved.
      const first = lineOf(original, offset);
      const lastBefore = lineOf(original, offset + m.find.length);
      const lastAfter = lineOf(mutated, offset + m.replace.length);
      const shift = lastAfter - lastBefore;
      writeFileSync(path, mutated);
      let found;
      try {
        found = lint(copy);
      } finally {
        writeFileSync(path, original);
      }
      // Baseline findings moved to the mutated file's lines; one mutated finding is "new" when no
      // baseline finding of the same file, rule and (moved) line is left to pair it with.
      const moved = (f) => (f.file !== m.file || f.line < first ? f.line : f.line > lastBefore ? f.line + shift : first);
      const pool = baseline.map((f) => `${f.file}:${moved(f)}:${f.code}`);
      const fresh = [];
      for (const f of found) {
        const key = `${f.file}:${f.line}:${f.code}`;
        const at = pool.indexOf(key);
        if (at >= 0) pool.splice(at, 1);
        else fresh.push(f);
      }
      const near = (f) => f.file === m.file && f.line >= first - NEAR && f.line <= lastAfter + NEAR;
      const hit = fresh.find((f) => f.code === m.rule && near(f));
      results.push({
        id: m.id,
        project,
        idiom: m.idiom,
        rule: m.rule,
        incident: m.incident,
        file: m.file,
        line: first,
        caught: Boolean(hit),
        // Test code is reported at most at info by design; the severity says how a user would see it.
        severity: hit?.severity ?? null,
        fresh: fresh.map((f) => ({ file: f.file, line: f.line, code: f.code, severity: f.severity })),
      });
    }
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

const table = IDIOMS.map((idiom) => {
  const run = results.filter((r) => r.idiom === idiom);
  return { idiom, caught: run.filter((r) => r.caught).length, total: run.length, skipped: selected.filter((m) => m.idiom === idiom && absent.has(m.project)).length };
});

if (format === "json") {
  console.log(JSON.stringify({ idioms: table, results, absent: [...absent].sort() }, null, 2));
} else {
  if (absent.size) console.error(`\n*** projects absent from .cache/ (their mutations were skipped): ${[...absent].sort().join(", ")}; see scripts/corpus/fetch-projects.sh ***\n`);
  const header = ["idiom", "caught", "total", "skipped (absent)"];
  const cells = [...table, { idiom: "all", caught: results.filter((r) => r.caught).length, total: results.length, skipped: selected.length - results.length }].map((r) => [r.idiom, r.caught, r.total, r.skipped].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => `| ${c.map((x, i) => x.padEnd(widths[i])).join(" | ")} |`;
  console.log(line(header));
  console.log(`| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`);
  for (const c of cells) console.log(line(c));
  const caught = results.filter((r) => r.caught);
  if (caught.length) {
    console.log(`\nCaught (${caught.length}):`);
    for (const r of caught) console.log(`- ${r.id} [${r.idiom}] ${r.project}/${r.file}:${r.line} ${r.rule} ${r.severity} (${r.incident})`);
  }
  const misses = results.filter((r) => !r.caught);
  if (misses.length) {
    console.log(`\nMissed (${misses.length}):`);
    for (const r of misses) {
      const other = r.fresh.length ? `; new findings: ${r.fresh.map((f) => `${f.code} ${f.severity} ${f.file}:${f.line}`).join(", ")}` : "";
      console.log(`- ${r.id} [${r.idiom}] ${r.project}/${r.file}:${r.line} expected ${r.rule} (${r.incident})${other}`);
    }
  }
}
