// Linting a model on the Hugging Face Hub from the terminal: the repository is read through the
// same model-folder reader as a local folder (src/node/folder.ts over src/node/hub), and linted by
// the same steps as the CLI's local model folders: config.json, the modeling code beside it, then
// the folder rules. File names in findings are Hub pages at the resolved commit.
import { readFileSync } from "node:fs";
import { lintFolder } from "../engine/folder";
import { type CliSelection, type Finding, lintConfig, type LoadedConfig, resolveSettings } from "../engine/index";
import { formatBytes } from "../engine/io";
import { createPythonParser, type PythonLintResult, type PythonParser, userLevels } from "../engine/python";
import { judgeFindings, judgeFolderFinding, type ModuleSummary, Project } from "../engine/project/index";
import type { FileSettings } from "../engine/settings";
import { readModelFolderInput } from "../node/folder";
import { HubError, type HubOptions, type HubRepo, type HubStats, type HubTarget, openHubRepo, parseHubTarget, targetLabel } from "../node/hub/index";
import { loadPythonWasm } from "../node/wasm";
import { UsageError } from "./configs";
import { type FileReport, unreadable } from "./format";
import { lintPythonJob } from "./pool";

export interface HubLintResult {
  target: HubTarget;
  commit?: string;
  reports: FileReport[];
  /** Files in the repository folder the run looked at, and how many of them were linted. */
  files: number;
  linted: number;
  stats: HubStats;
  offline?: string;
  /** Why the repository could not be linted; its findings are then discarded. */
  error?: HubError;
  /** Things not linted, said once (notebooks). */
  notes: string[];
}

export interface HubLintContext {
  options: HubOptions;
  selection: CliSelection;
  /** The .normlint.json that applies (the working directory's), if any. */
  config: LoadedConfig | undefined;
  quiet?: boolean;
  parser: () => Promise<PythonParser>;
}

/** `10MB`, `1.5GiB`, `1048576`: a byte count for --max-bytes (KB/MB/GB decimal, KiB/MiB/GiB binary). */
export function parseByteSize(s: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$/i.exec(s);
  const units: Record<string, number> = { "": 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12, ki: 1024, kib: 1024, mi: 1024 ** 2, mib: 1024 ** 2, gi: 1024 ** 3, gib: 1024 ** 3, ti: 1024 ** 4, tib: 1024 ** 4 };
  const unit = m ? units[(m[2] ?? "").toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`--max-bytes takes a byte count such as 50MB or 1GiB, not ${s}`);
  const n = Math.floor(Number(m[1]) * unit);
  if (!(n > 0)) throw new UsageError(`--max-bytes must be positive, not ${s}`);
  return n;
}

/** The targets of a --repos file: one a line, `#` starts a comment. */
export function readReposFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read --repos ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/(^|\s)#.*$/, "").trim())
    .filter(Boolean);
}

/** Splits arguments into Hub targets and local paths; a malformed Hub target is a usage error. */
export function splitTargets(args: string[], endpoint: string): { hub: HubTarget[]; local: string[] } {
  const hub: HubTarget[] = [];
  const local: string[] = [];
  for (const a of args) {
    let t: HubTarget | undefined;
    try {
      t = parseHubTarget(a, endpoint);
    } catch (e) {
      if (e instanceof HubError) throw new UsageError(e.message);
      throw e;
    }
    if (t) hub.push(t);
    else local.push(a);
  }
  return { hub, local };
}

/** `hf://owner/name: commit 0123abc, 7 requests, 1.2 MiB fetched` (+ cache and retries when any). */
export function hubSummaryLine(r: HubLintResult): string {
  const s = r.stats;
  const at = r.commit ? `commit ${r.commit.slice(0, 12)}, ` : "";
  const extra = [s.cachedReads ? `${s.cachedReads} reads from cache` : "", s.retries ? `${s.retries} retried` : "", r.offline ? "offline, from cache" : ""].filter(Boolean);
  return `normlint: hf://${targetLabel(r.target)}: ${at}${s.requests} request${s.requests === 1 ? "" : "s"}, ${formatBytes(s.bytes)} fetched${extra.length ? ` (${extra.join("; ")})` : ""}${r.error ? "; FAILED" : ""}`;
}

const emptyStats = (): HubStats => ({ requests: 0, bytes: 0, cachedReads: 0, retries: 0 });

/** Lints one Hub repository folder; a Hub failure is returned as `error`, never thrown. */
export async function lintHubTarget(target: HubTarget, ctx: HubLintContext): Promise<HubLintResult> {
  const result: HubLintResult = { target, reports: [], files: 0, linted: 0, stats: emptyStats(), notes: [] };
  let repo: HubRepo | undefined;
  try {
    repo = await openHubRepo(target, ctx.options);
    result.commit = repo.commit;
    result.offline = repo.offline;
    await lintRepo(repo, ctx, result);
    const failure = repo.failure();
    if (failure) throw failure;
  } catch (e) {
    if (!(e instanceof HubError)) throw e;
    result.error = e;
    result.reports = [];
    if (e.stats) result.stats = e.stats;
  } finally {
    if (repo) result.stats = repo.stats();
  }
  return result;
}

async function lintRepo(repo: HubRepo, ctx: HubLintContext, result: HubLintResult): Promise<void> {
  const read = await readModelFolderInput(repo.dir, repo.access, { display: (l) => repo.display(l) });
  const reports = new Map<string, FileReport>();
  const add = (file: string, text: string, findings: Finding[]) => {
    const kept = ctx.quiet ? findings.filter((f) => f.severity === "error") : findings;
    if (!kept.length) return;
    const r = reports.get(file);
    if (r) r.findings.push(...kept);
    else reports.set(file, { file, text, findings: kept });
  };
  // Settings as for a file at its path inside the repository, under the working directory's config.
  const settingsFor = (shown: string): FileSettings => {
    const location = read.locations.get(shown);
    const rel = location?.startsWith(`${repo.dir}/`) ? location.slice(repo.dir.length + 1) : shown;
    return resolveSettings(ctx.config, rel, ctx.selection);
  };
  try {
    const input = read.input;
    result.files = input.files?.length ?? 0;
    for (const p of read.problems) add(p.path, "", [unreadable(p.path, p.error)]);
    let configModelType: string | undefined;
    if (input.config) {
      const c = lintConfig({ path: input.config.path, bytes: input.config.bytes, size: input.config.bytes.length, explicit: false }, settingsFor(input.config.path));
      if (c.status !== "skipped") {
        result.linted++;
        configModelType = c.modelType;
        add(input.config.path, c.text, c.findings);
      } else delete input.config;
    }

    // The modeling code beside the weights, as the CLI lints a local model folder's: each file
    // alone, then judged against the others (the repository is its project).
    const code: PythonLintResult[] = [];
    const summaries: ModuleSummary[] = [];
    const pending: Array<{ file: string; text: string; findings: Finding[]; summary?: ModuleSummary; settings: FileSettings }> = [];
    const notebooks = read.code.filter((c) => c.kind === "notebook");
    if (notebooks.length) result.notes.push(`${notebooks.length} notebook${notebooks.length === 1 ? "" : "s"} in the repository not linted (Python files are)`);
    for (const f of read.code.filter((c) => c.kind === "python")) {
      const settings = settingsFor(f.path);
      const r = await repo.access.read(f.location, settings.maxFileSize);
      if (!r.bytes) {
        add(f.path, "", [unreadable(f.path, r.error ?? `${r.size} bytes, over the ${settings.maxFileSize}-byte cap`)]);
        continue;
      }
      const { result: lr, findings } = lintPythonJob({ kind: "python", path: f.path, bytes: r.bytes, size: r.size, settings, prefilter: false, configModelType }, await ctx.parser());
      if (lr.summary) summaries.push(lr.summary);
      if (lr.status === "skipped") continue;
      result.linted++;
      if (lr.module) code.push(lr);
      pending.push({ file: f.path, text: lr.text, findings, summary: lr.summary, settings });
    }
    if (code.length) input.code = code.map((r) => ({ path: r.path, text: r.module!.text, module: r.module! }));

    const weights = input.safetensors.length + input.gguf.length + (input.index ? 1 : 0);
    if (!weights && !input.config && !read.code.length) {
      // Weights often sit in a subfolder (original/, a quantization per folder): name them.
      const dirs = (await repo.access.list(repo.dir)).filter((e) => e.type === "directory").map((e) => e.name);
      result.notes.push(`no config.json, safetensors or GGUF file in this folder${dirs.length ? `; its subfolders: ${dirs.slice(0, 10).join(", ")} (name one: hf://${targetLabel({ ...repo.target, subfolder: repo.target.subfolder ? `${repo.target.subfolder}/${dirs[0]}` : dirs[0] })})` : ""}`);
    }
    const folderFindings: Finding[] = [];
    if (weights || ((input.pickles.length || code.length || input.params) && input.config)) {
      result.linted += input.safetensors.length + input.gguf.length;
      const { findings } = await lintFolder(input, (file) => settingsFor(file));
      folderFindings.push(...findings);
    }
    const project = new Project(summaries);
    for (const p of pending) add(p.file, p.text, judgeFindings(p.findings, p.summary, project, userLevels(p.settings), { checkpointBeside: input.safetensors.length + input.gguf.length > 0 }));
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    for (let f of folderFindings) {
      const mod = code.find((r) => r.path === f.file);
      if (mod) {
        if (f.rule === "checkpoint-norm-keys-mismatch") f = judgeFolderFinding(f, project, () => true, userLevels(settingsFor(f.file)));
        add(f.file, mod.text, [f]);
        continue;
      }
      add(f.file, f.file === input.config?.path ? decode(input.config.bytes) : f.file === input.index?.path ? decode(input.index.bytes) : "", [f]);
    }
    result.reports = [...reports.values()];
  } finally {
    await read.close();
  }
}

/** The Python parser, created once per run and only when some repository has Python to read. */
export function lazyParser(): () => Promise<PythonParser> {
  let p: Promise<PythonParser> | undefined;
  return () => (p ??= createPythonParser(loadPythonWasm([__dirname])));
}
