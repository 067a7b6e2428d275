// Runs the built CLI (dist/cli.js) the way a user does: a child process in a throwaway folder. The
// tests see only exit codes, stdout, stderr and the files left behind.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import Ajv from "ajv";

export const REPO = resolve(__dirname, "../..");
export const CLI = join(REPO, "dist", "cli.js");

/** Newest modification time under a folder (files only). */
function newest(dir: string): number {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    max = Math.max(max, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return max;
}

/**
 * Builds dist/cli.js unless it is newer than every source file. `npm test` builds first, so this
 * usually does nothing, and the generator does not rewrite files that other test files import.
 */
export function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(CLI).mtimeMs;
  } catch {}
  const sources = Math.max(newest(join(REPO, "src")), statSync(join(REPO, "esbuild.mjs")).mtimeMs);
  if (built > sources) return;
  execFileSync(process.execPath, ["esbuild.mjs"], { cwd: REPO, stdio: "pipe" });
}

export interface CliResult {
  /** Exit code; null when the process was killed (a timeout is a hang). */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  /** Working directory, relative to the sandbox when run through one. */
  cwd?: string;
  /** Kill the process after this long (a hang then shows as `signal`). */
  timeout?: number;
  /** Run under this umask (through /bin/sh, so the test process keeps its own). */
  umask?: number;
  /** Extra environment variables (NORMLINT_JOBS...). */
  env?: Record<string, string>;
}

export function runCli(args: string[], cwd: string, opts: Omit<RunOptions, "cwd"> = {}): CliResult {
  const t0 = performance.now();
  const [command, argv] =
    opts.umask === undefined
      ? [process.execPath, [CLI, ...args]]
      : ["/bin/sh", ["-c", `umask ${opts.umask.toString(8).padStart(3, "0")} && exec "$0" "$@"`, process.execPath, CLI, ...args]];
  const r = spawnSync(command, argv, {
    cwd,
    timeout: opts.timeout ?? 20_000,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    // A terminal-independent run: no colour, and no inherited NODE_OPTIONS that could change startup.
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", NODE_OPTIONS: "", ...opts.env },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? "", stderr: r.stderr ?? "", ms: performance.now() - t0 };
}

/** The documented JSON report (`--format json`). */
export interface JsonEdit {
  start: number;
  end: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  text: string;
}

export interface JsonFinding {
  file: string;
  rule: string;
  code: string;
  severity: "error" | "warning" | "info";
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  fixes: Array<{ title: string; safe: boolean; edits: JsonEdit[] }>;
}

export interface JsonReport {
  version: number;
  findings: JsonFinding[];
  summary: { files: number; linted: number; skipped: number; errors: number; warnings: number; infos: number; fixable: number; fixed: number };
}

/** 1-based line and column (UTF-16 units) of the first occurrence of `needle`, computed independently of the CLI. */
export function positionOf(text: string, needle: string, from = 0): { line: number; column: number } {
  const offset = text.indexOf(needle, from);
  if (offset < 0) throw new Error(`${JSON.stringify(needle)} not in the text`);
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - (before.lastIndexOf("\n") + 1) + 1 };
}

/**
 * A temporary folder for one test, removed by `remove()`. Its root holds an empty `.git` folder so
 * that no .gitignore above the temporary directory can change what the CLI walks.
 */
export class Sandbox {
  readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  static create(): Sandbox {
    // realpath: on macOS the temp folder is reached through a symlink, and the CLI reports real paths.
    const box = new Sandbox(realpathSync(mkdtempSync(join(tmpdir(), "normlint-cli-"))));
    box.mkdir(".git");
    return box;
  }

  path(rel = "."): string {
    return join(this.root, rel);
  }

  mkdir(rel: string): string {
    const p = this.path(rel);
    mkdirSync(p, { recursive: true });
    return p;
  }

  write(rel: string, content: string | Uint8Array, mode?: number): string {
    const p = this.path(rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    if (mode !== undefined) chmodSync(p, mode);
    return p;
  }

  /** Writes a value as JSON (the usual way to make a config). */
  writeJson(rel: string, value: unknown): string {
    return this.write(rel, JSON.stringify(value, null, 2) + "\n");
  }

  read(rel: string): Buffer {
    return readFileSync(this.path(rel));
  }

  symlink(target: string, rel: string): void {
    mkdirSync(dirname(this.path(rel)), { recursive: true });
    symlinkSync(target, this.path(rel));
  }

  fifo(rel: string): void {
    mkdirSync(dirname(this.path(rel)), { recursive: true });
    const r = spawnSync("mkfifo", [this.path(rel)]);
    if (r.status !== 0) throw new Error(`mkfifo failed: ${r.error?.message ?? r.stderr}`);
  }

  run(args: string[], opts: RunOptions = {}): CliResult {
    return runCli(args, this.path(opts.cwd), opts);
  }

  /** Runs with `--format json` and parses stdout; the exit code is returned with the report. */
  json(args: string[], opts: RunOptions = {}): { result: CliResult; report: JsonReport } {
    const result = this.run([...args, "--format", "json"], opts);
    let report: JsonReport;
    try {
      report = JSON.parse(result.stdout) as JsonReport;
    } catch {
      throw new Error(`stdout is not JSON (exit ${result.status}, signal ${result.signal}):\n${result.stdout}\nstderr:\n${result.stderr}`);
    }
    return { result, report };
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The SARIF 2.1.0 schema is draft-04; ajv 8 reads it once `id` is `$id` and the draft-04 meta reference is dropped. */
export function sarifValidator() {
  const path = join(REPO, "node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
  const { $schema: _draft, id, ...schema } = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false });
  return ajv.compile({ ...schema, $id: id as string });
}
