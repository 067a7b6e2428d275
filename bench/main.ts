// npm run bench: lints a generated corpus of 10,000 config.json files in this process and reports
// files/s, peak memory, and the ratio against JSON.parse of the same bytes (the floor).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lintConfig } from "../src/engine/index";
import { runCheckpointBench } from "./checkpoints";
import { runGpuBench } from "./gpu";
import { runHubBench } from "./hub";
import { runPythonBench } from "./python";
import { runWorkspaceBench } from "./workspace";
import { generateConfig } from "./corpus";

const N = Number(process.env.NORMLINT_BENCH_FILES ?? 10_000);
const ROUNDS = 3;
const dir = join(tmpdir(), `normlint-bench-${process.pid}`);
mkdirSync(dir, { recursive: true });
const paths: string[] = [];
for (let i = 0; i < N; i++) {
  const p = join(dir, `m${i}`, "config.json");
  mkdirSync(join(dir, `m${i}`));
  writeFileSync(p, generateConfig(i));
  paths.push(p);
}
const bytes = paths.map((p) => readFileSync(p));
const total = bytes.reduce((n, b) => n + b.length, 0);

let peak = 0;
const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
const gc = (globalThis as { gc?: () => void }).gc;

function time(fn: () => number): { ms: number; out: number } {
  gc?.();
  const t0 = performance.now();
  const out = fn();
  return { ms: performance.now() - t0, out };
}

const decoder = new TextDecoder();
const floor = () => {
  let n = 0;
  for (const b of bytes) n += Object.keys(JSON.parse(decoder.decode(b))).length;
  sample();
  return n;
};
const lint = () => {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    n += lintConfig({ path: paths[i], bytes: bytes[i] }).findings.length;
    if (i % 500 === 0) sample();
  }
  return n;
};

// Alternate the two so drift (JIT, GC, the other core) hits both alike; report the best round.
let bestFloor = Infinity;
let bestLint = Infinity;
let findings = 0;
for (let r = 0; r < ROUNDS; r++) {
  bestFloor = Math.min(bestFloor, time(floor).ms);
  const l = time(lint);
  bestLint = Math.min(bestLint, l.ms);
  findings = l.out;
}
// End to end: the CLI (walk, .gitignore, read, lint, JSON report) against a Node process that walks
// and JSON.parses the same tree, each timed as a whole command.
const cli = join(__dirname, "cli.js");
const baselineScript = `const fs=require("fs"),p=require("path");let n=0;(function w(d){for(const e of fs.readdirSync(d,{withFileTypes:true})){const f=p.join(d,e.name);if(e.isDirectory())w(f);else if(e.name==="config.json"){JSON.parse(fs.readFileSync(f,"utf8"));n++}}})(process.argv[1]);console.log(n)`;
const command = (args: string[]) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.status !== 0 && r.status !== 1) throw new Error(r.stderr);
  return performance.now() - t0;
};
let bestCli = Infinity;
let bestWalk = Infinity;
for (let r = 0; r < 2; r++) {
  bestWalk = Math.min(bestWalk, command(["-e", baselineScript, dir]));
  bestCli = Math.min(bestCli, command([cli, dir, "--format", "json"]));
}
rmSync(dir, { recursive: true, force: true });
const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
console.log(`corpus: ${N} config.json files, ${mb(total)} MiB, ${findings} findings`);
console.log(`JSON.parse floor: ${bestFloor.toFixed(0)} ms (${Math.round((N / bestFloor) * 1000)} files/s)`);
console.log(`normlint lint:    ${bestLint.toFixed(0)} ms (${Math.round((N / bestLint) * 1000)} files/s)`);
console.log(`ratio lint / JSON.parse: ${(bestLint / bestFloor).toFixed(1)}x`);
console.log(`CLI end to end:   ${bestCli.toFixed(0)} ms (${Math.round((N / bestCli) * 1000)} files/s); node walk+JSON.parse command ${bestWalk.toFixed(0)} ms; ratio ${(bestCli / bestWalk).toFixed(1)}x`);
console.log(`peak RSS: ${mb(Math.max(peak, process.resourceUsage().maxRSS * 1024))} MiB`);

// NORMLINT_BENCH_ONLY=workspace skips from here to the whole-workspace and editor part;
// NORMLINT_BENCH_ONLY=relint runs only the relint latency of the Python part;
// NORMLINT_BENCH_ONLY=hub runs only the Hugging Face Hub part (with NORMLINT_BENCH_FILES=10 it
// skips most of the config corpus too).
const only = process.env.NORMLINT_BENCH_ONLY;
const onlyHub = only === "hub";
const onlyWorkspace = only === "workspace" || onlyHub;
const onlyRelint = only === "relint";
if (!onlyWorkspace && !onlyRelint) console.log("\ncheckpoints:");
(onlyWorkspace || onlyRelint ? Promise.resolve([] as string[]) : runCheckpointBench())
  .then((lines) => {
    for (const line of lines) console.log(line);
    if (onlyWorkspace) return [];
    console.log("\nPython modeling code:");
    return runPythonBench(onlyRelint);
  })
  .then((lines) => {
    for (const line of lines) console.log(line);
    if (onlyWorkspace || onlyRelint) return [];
    console.log("\nGPU norm kernels:");
    return runGpuBench();
  })
  .then((lines) => {
    for (const line of lines) console.log(line);
    if (onlyRelint || onlyHub) return [];
    console.log("\nWhole workspace and the editor:");
    return runWorkspaceBench();
  })
  .then((lines) => {
    for (const line of lines) console.log(line);
    if (onlyRelint || (only && !onlyHub)) return [];
    console.log("\nHugging Face Hub (a local Hub-compatible server):");
    return runHubBench();
  })
  .then((lines) => {
    for (const line of lines) console.log(line);
  });
