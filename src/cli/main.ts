// normlint's command line: file discovery, configuration lookup, output, --fix and exit codes.
// Exit 0: no error-level finding; 1: errors found; 2: usage or internal error, including a path
// that does not exist or a folder that cannot be read, and a --fix that could not be written (the
// other paths are still linted and reported).
import { existsSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ruleDocsUrl, ruleInfo } from "../engine/docs";
import { type CliSelection, fixConfigText, isExcluded, isValidSelector, lintConfig, type LintInput, resolveSettings, RULES, selectorMatches } from "../engine/index";
import { lintFolder } from "../engine/folder";
import type { Finding } from "../engine/types";
import { nodeAccess } from "../node/access";
import { ConfigFinder, UsageError } from "./configs";
import { createPythonParser, fixPythonText, lintPython, notebookCellFindings, type PythonLintResult, type PythonParser, userLevels } from "../engine/python";
import { judgeFindings, judgeFolderFinding, type ModuleSummary, Project, PROJECT_MARKERS } from "../engine/project/index";
import type { FileSettings } from "../engine/settings";
import { notebookMapper } from "../node/notebook-map";
import { isPythonWorker, lintPythonJob, type PythonJob, PythonPool, runPythonJob, workerCount } from "./pool";
import { verifyCommand } from "./verify";
import { loadPythonWasm } from "../node/wasm";
import { FileChangedError, type ReadResult, readRegular, writeAtomic } from "../node/files";
import { type FileReport, formatJson, formatSarif, formatText, jsonFindings, summarize, unreadable } from "./format";
import { type HubLintContext, type HubLintResult, hubSummaryLine, lazyParser, lintHubTarget, parseByteSize, readReposFile, splitTargets } from "./hub";
import { defaultEndpoint, type HubOptions, targetLabel } from "../node/hub/index";
import { readModelFolderInput } from "../node/folder";
import { displayPath, toPosix } from "../node/paths";
import { type Candidate, collect } from "../node/walk";

declare const NORMLINT_VERSION: string;
const VERSION = typeof NORMLINT_VERSION === "string" ? NORMLINT_VERSION : "0.0.0-dev";

const HELP = `normlint ${VERSION}: catches normalization-layer mismatches in model configs.

Usage:
  normlint [paths...] [options]   lint files and folders (default: .)
  normlint hf://<owner>/<name>[@revision][/subfolder] ...
                                  lint a model on the Hugging Face Hub without downloading it
                                  (also https://huggingface.co/<owner>/<name>[/tree/<rev>/<dir>]);
                                  Hub targets and local paths may be mixed
  normlint rules [--format json]  list the rules
  normlint explain <rule>         show a rule's documentation (name or code)
  normlint verify <model-folder|hf://...>
                                  run the norm kernels on the folder's own norm weights (WebGPU
                                  through Dawn, else CPU) and compare the declared convention with
                                  its alternative; [--json] [--rows N] [--seed S] [--cpu]

Options:
  --format <text|json|sarif|jsonl>
                              output format (default text); jsonl: one JSON line per
                              Hub repository (and one for the local paths)
  -o, --output <file>         write the report to a file instead of stdout
  --config <file>             use this .normlint.json for every file (no lookup; its
                              globs are relative to the working directory)
  --fix                       apply safe fixes in place (atomic writes)
  --select <rules>            only these rules (comma-separated names, codes, prefixes, tags)
  --ignore <rules>            turn these rules off
  --max-warnings <n>          exit 1 when there are more than n warnings
  --no-respect-gitignore      also lint files that .gitignore excludes
  --no-color                  plain text output
  -q, --quiet                 report errors only
  --repos <file>              Hub targets (or paths) to lint, one a line, # comments
  --max-bytes <n>             stop a Hub repository that would fetch more than n bytes
                              (per repository; 50MB, 1GiB...)
  -v, --version               print the version
  -h, --help                  print this help

Hub: HF_ENDPOINT (a mirror), HF_TOKEN or the token file for gated and private
repositories, HF_HUB_OFFLINE=1 to read only the cache; reads are cached by commit in
$NORMLINT_CACHE (default ~/.cache/normlint/hub), so a second run works offline.

Exit status: 0 no errors, 1 errors found, 2 usage or internal error, a path or Hub
repository that cannot be read, or a fix that could not be written.
`;

function splitList(values: string[] | undefined): string[] | undefined {
  const out = (values ?? []).flatMap((v) => v.split(",")).map((s) => s.trim()).filter(Boolean);
  // A well-formed prefix that picks no rule (NL9) is as likely a typo as an unknown name.
  for (const s of out) {
    if (!isValidSelector(s) || !RULES.some((r) => selectorMatches(s, r) > 0)) throw new UsageError(`unknown rule or selector: ${s} (see 'normlint rules')`);
  }
  return out.length ? out : undefined;
}

function rulesCommand(format: string): string {
  if (format === "json") {
    return JSON.stringify(RULES.map((r) => ({ code: r.code, name: r.name, severity: r.severity, fix: r.fix, tags: r.tags, summary: r.summary, docs: ruleDocsUrl(r.name) })), null, 2) + "\n";
  }
  const w = Math.max(...RULES.map((r) => r.name.length));
  return RULES.map((r) => `${r.code}  ${r.name.padEnd(w)}  ${r.severity.padEnd(7)}  ${r.summary}`).join("\n") + "\n";
}

function explainCommand(id: string | undefined): string {
  if (!id) throw new UsageError("explain needs a rule name or code, e.g. 'normlint explain eps-key-unused'");
  const info = ruleInfo(id);
  if (!info) throw new UsageError(`unknown rule: ${id} (see 'normlint rules')`);
  const d = info.docs;
  return [
    `${info.code} ${info.name} (default: ${info.severity}; fix: ${info.fix}; tags: ${info.tags.join(", ")})`,
    "",
    "What it does",
    `  ${d.whatItDoes.replace(/\n/g, "\n  ")}`,
    "",
    "Why is this bad?",
    `  ${d.why.replace(/\n/g, "\n  ")}`,
    "",
    "Example",
    `  ${d.example.replace(/\n/g, "\n  ")}`,
    "",
    "Use instead",
    `  ${d.useInstead.replace(/\n/g, "\n  ")}`,
    "",
    `Docs: ${ruleDocsUrl(info.name)}`,
    "",
  ].join("\n");
}

/** What tests and the bench inject: Hub client options (a fetch, a cache folder, short retry waits). */
export interface RunEnv {
  hub?: HubOptions;
}

export async function run(argv: string[], out: (s: string) => void, err: (s: string) => void, env: RunEnv = {}): Promise<number> {
  // `verify` has flags of its own (--rows, --seed, --cpu...): it parses its arguments itself.
  if (argv[0] === "verify") return verifyCommand(argv.slice(1), out, err, env.hub);
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        format: { type: "string", default: "text" },
        output: { type: "string", short: "o" },
        config: { type: "string" },
        fix: { type: "boolean", default: false },
        select: { type: "string", multiple: true },
        ignore: { type: "string", multiple: true },
        "max-warnings": { type: "string" },
        "no-respect-gitignore": { type: "boolean", default: false },
        "no-color": { type: "boolean", default: false },
        quiet: { type: "boolean", short: "q", default: false },
        repos: { type: "string", multiple: true },
        "max-bytes": { type: "string" },
        version: { type: "boolean", short: "v", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    err(`normlint: ${(e as Error).message}\nRun 'normlint --help' for usage.\n`);
    return 2;
  }
  const { values, positionals } = args;
  try {
    if (values.help) return out(HELP), 0;
    if (values.version) return out(`${VERSION}\n`), 0;
    const format = values.format!;
    if (!["text", "json", "sarif", "jsonl"].includes(format)) throw new UsageError(`--format must be text, json, sarif or jsonl, not ${format}`);
    if (positionals[0] === "rules") return out(rulesCommand(format === "jsonl" ? "json" : format)), 0;
    if (positionals[0] === "explain") return out(explainCommand(positionals[1])), 0;
    const maxWarnings = values["max-warnings"] === undefined ? undefined : Number(values["max-warnings"]);
    if (maxWarnings !== undefined && !(Number.isInteger(maxWarnings) && maxWarnings >= 0)) throw new UsageError("--max-warnings needs a non-negative integer");
    const selection: CliSelection = { select: splitList(values.select), ignore: splitList(values.ignore) };
    const maxBytes = values["max-bytes"] === undefined ? undefined : parseByteSize(values["max-bytes"]);
    const listed = [...positionals, ...(values.repos ?? []).flatMap(readReposFile)];
    if (values.repos && listed.length === 0) throw new UsageError("--repos names no target");
    const hubOptions: HubOptions = { ...env.hub, ...(maxBytes !== undefined ? { maxBytes } : {}) };
    return await lintCommand(listed.length ? listed : ["."], { ...values, format, selection, maxWarnings, hub: hubOptions }, out, err);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`normlint: ${e.message}\n`);
      return 2;
    }
    err(`normlint: internal error: ${(e as Error).stack ?? e}\n`);
    return 2;
  }
}

/** A folder's files gathered by the walk: its config, checkpoints and the Python linted in it. */
interface FolderWork {
  configBytes?: Uint8Array;
  files: Candidate[];
  code: PythonLintResult[];
}

interface LintOptions {
  format: string;
  output?: string;
  config?: string;
  fix?: boolean;
  quiet?: boolean;
  "no-color"?: boolean;
  "no-respect-gitignore"?: boolean;
  selection: CliSelection;
  maxWarnings?: number;
  hub: HubOptions;
}

/** What linting the local paths gives: reports and counts for the summary and the exit code. */
interface LocalResult {
  reports: FileReport[];
  files: number;
  linted: number;
  fixed: number;
  /** Paths that could not be read, fixes that could not be written: exit 2. */
  failed: boolean;
}

async function lintCommand(args: string[], opts: LintOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const cwd = process.cwd();
  const { hub, local } = splitTargets(args, opts.hub.endpoint ?? defaultEndpoint());
  const finder = new ConfigFinder(opts.config);
  const localResult: LocalResult | undefined = local.length ? await lintLocal(local, opts, finder, err) : undefined;
  // Nothing that exists was named: the error lines say so, and there is no report.
  if (localResult?.failed && localResult.files === 0 && hub.length === 0) return 2;

  if (opts.fix && hub.length) err("normlint: --fix does not apply to Hub repositories (nothing there is written)\n");
  // Hub repositories, a few at a time (each with its own bounded requests); reported in the order given.
  const hubResults: HubLintResult[] = new Array(hub.length);
  const ctx: HubLintContext = { options: opts.hub, selection: opts.selection, config: finder.forFile(join(cwd, "config.json")), quiet: opts.quiet, parser: lazyParser() };
  let nextHub = 0;
  await Promise.all(
    Array.from({ length: Math.min(4, hub.length) }, async () => {
      for (let i = nextHub++; i < hub.length; i = nextHub++) hubResults[i] = await lintHubTarget(hub[i], ctx);
    }),
  );
  const sortReports = (rs: FileReport[]) => {
    rs.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    for (const r of rs) r.findings.sort((a, b) => a.start - b.start || a.code.localeCompare(b.code));
    return rs;
  };
  for (const h of hubResults) sortReports(h.reports);
  if (localResult) sortReports(localResult.reports);
  const configProblems = finder.problems.map((p) => ({ file: displayPath(p.path, cwd), text: p.text, findings: p.findings }));
  const localReports = [...configProblems, ...(localResult?.reports ?? [])];
  const ordered = [...localReports, ...hubResults.flatMap((h) => h.reports)];
  const files = (localResult?.files ?? 0) + hubResults.reduce((n, h) => n + h.files, 0);
  const linted = (localResult?.linted ?? 0) + hubResults.reduce((n, h) => n + h.linted, 0);
  const summary = summarize(ordered, files, linted, localResult?.fixed ?? 0);

  // The per-repository lines: at the end of a text report, on stderr otherwise (stdout stays parseable).
  const hubLines: string[] = [];
  for (const h of hubResults) {
    if (h.error) err(`normlint: hf://${targetLabel(h.target)}: ${h.error.message}\n`);
    for (const note of h.notes) hubLines.push(`normlint: hf://${targetLabel(h.target)}: ${note}`);
    hubLines.push(hubSummaryLine(h));
  }
  let report: string;
  if (opts.format === "jsonl") {
    const lines = hubResults.map((h) => JSON.stringify(hubJsonLine(h)));
    if (localResult || configProblems.length) lines.unshift(JSON.stringify({ target: local.join(" "), local: true, findings: jsonFindings(localReports), summary: summarize(localReports, localResult?.files ?? 0, localResult?.linted ?? 0, localResult?.fixed ?? 0) }));
    report = lines.length ? `${lines.join("\n")}\n` : "";
  } else {
    const color = opts.format === "text" && !opts["no-color"] && !opts.output && process.stdout.isTTY === true && !process.env.NO_COLOR;
    report = opts.format === "json" ? formatJson(ordered, summary) : opts.format === "sarif" ? formatSarif(ordered, VERSION, cwd) : formatText(ordered, summary, color);
    if (opts.format === "text" && hubLines.length) report += `${hubLines.join("\n")}\n`;
  }
  if (opts.format !== "text") for (const l of hubLines) err(`${l}\n`);
  if (opts.output) {
    try {
      writeFileSync(resolve(opts.output), report);
    } catch (e) {
      throw new UsageError(`cannot write ${opts.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  } else out(report);
  if (localResult?.failed || hubResults.some((h) => h.error)) return 2;
  if (summary.errors > 0) return 1;
  if (opts.maxWarnings !== undefined && summary.warnings > opts.maxWarnings) return 1;
  return 0;
}

/** One repository's line in --format jsonl. */
function hubJsonLine(h: HubLintResult) {
  const s = summarize(h.reports, h.files, h.linted, 0);
  return {
    target: h.target.input,
    repo: h.target.repo,
    revision: h.target.revision,
    ...(h.target.subfolder ? { subfolder: h.target.subfolder } : {}),
    commit: h.commit ?? null,
    findings: jsonFindings(h.reports),
    summary: { errors: s.errors, warnings: s.warnings, infos: s.infos, files: s.files, linted: s.linted },
    requests: h.stats.requests,
    bytes: h.stats.bytes,
    cachedReads: h.stats.cachedReads,
    retries: h.stats.retries,
    ...(h.offline ? { offline: true } : {}),
    ...(h.notes.length ? { notes: h.notes } : {}),
    ...(h.error ? { error: { kind: h.error.kind, message: h.error.message } } : {}),
  };
}

async function lintLocal(paths: string[], opts: LintOptions, finder: ConfigFinder, err: (s: string) => void): Promise<LocalResult> {
  const cwd = process.cwd();
  let missing = 0;
  const candidates = collect(
    paths,
    (p) => {
      missing++;
      err(`normlint: ${p.message}\n`);
    },
    { respectGitignore: !opts["no-respect-gitignore"] },
  );
  if (missing && candidates.length === 0) return { reports: [], files: 0, linted: 0, fixed: 0, failed: true };
  const reports = new Map<string, FileReport>();
  const addFindings = (file: string, text: string, findings: Finding[]) => {
    const kept = opts.quiet ? findings.filter((f) => f.severity === "error") : findings;
    if (kept.length === 0) return;
    const r = reports.get(file);
    if (r) r.findings.push(...kept);
    else reports.set(file, { file, text, findings: kept });
  };
  let linted = 0;
  let fixed = 0;
  // --fix replaces the version of a file that was read and nothing else; a file that cannot be
  // written (or changed meanwhile) stays as it is, is reported as not fixed, and the run goes on.
  let unwritten = 0;
  const writeFix = (path: string, shown: string, read: ReadResult, text: string): boolean => {
    try {
      writeAtomic(path, text, read.stamp && read.bytes ? { stamp: read.stamp, bytes: read.bytes } : undefined);
      return true;
    } catch (e) {
      unwritten++;
      const why = e instanceof FileChangedError ? "it changed on disk after normlint read it (run again)" : ((e as NodeJS.ErrnoException).code ?? (e as Error).message);
      err(`normlint: ${shown} not fixed: ${why}; the file is unchanged\n`);
      return false;
    }
  };
  const settingsOf = (path: string) => {
    const loaded = finder.forFile(path);
    const rel = loaded ? toPosix(relative(loaded.dir, toPosix(path))) : toPosix(relative(cwd, path));
    return { loaded, rel, settings: resolveSettings(loaded, rel, opts.selection) };
  };
  // Model folders: everything but config.json is read there, once per folder; the Python files and
  // notebooks linted in the loop join their folder's cross-file rules with their analysis.
  const folders = new Map<string, FolderWork>();

  // The Python parser (tree-sitter wasm) is created once, and only when there is Python to read.
  let parser: PythonParser | undefined;
  const pythonParser = async () => (parser ??= await createPythonParser(loadPythonWasm([__dirname])));

  // Many Python files outside model folders are linted on worker threads (src/cli/pool.ts); those
  // in a model folder stay here, since the folder's rules read their analysis, and --fix runs here.
  const modelDirs = new Set(candidates.filter((c) => c.kind !== "python" && c.kind !== "notebook" && c.kind !== "params").map((c) => dirname(c.path)));
  const pooled = (c: Candidate) => (c.kind === "python" || c.kind === "notebook") && !modelDirs.has(dirname(c.path));
  const workers = opts.fix || !__filename.endsWith(".js") ? 0 : workerCount(candidates.filter(pooled).length);
  const pool = workers > 0 ? new PythonPool(__filename, workers, async (job) => runPythonJob(job, await pythonParser())) : undefined;
  const pending: Array<Promise<void>> = [];

  // Python results wait for the whole project: a finding in one file can depend on another
  // (a loader renaming a norm's parameters elsewhere). They are judged after the loop.
  const pythonResults: Array<{ file: string; text: string; findings: Finding[]; summary?: ModuleSummary; settings: FileSettings }> = [];
  // Files not parsed (no norm text): they only use attributes a rename fix must not break.
  const unparsed: Array<{ file: string; summary: ModuleSummary }> = [];
  // The config.json of a folder governs the family of the code beside it: configs go before that
  // code. Pooled files sit in no such folder, so they go first of all: the workers parse them
  // while this thread reads the configs.
  const configTypes = new Map<string, string>();
  const early = (c: Candidate) => (pool && pooled(c) ? 0 : c.kind === "config" ? 1 : 2);
  const ordered0 = [0, 1, 2].flatMap((k) => candidates.filter((c) => early(c) === k));

  for (const c of ordered0) {
    const { loaded, rel, settings } = settingsOf(c.path);
    if (!c.explicit && isExcluded(loaded, rel)) continue;
    const dir = dirname(c.path);
    const folder = folders.get(dir) ?? { files: [], code: [] };
    folders.set(dir, folder);
    if (c.kind === "python" || c.kind === "notebook") {
      const shown = displayPath(c.path, cwd);
      const read = readRegular(c.path, settings.maxFileSize);
      if (read.error) {
        addFindings(shown, "", [unreadable(shown, read.error)]);
        linted++;
        continue;
      }
      // A walked .py file that mentions no norm at all is skipped unparsed: it can hold no norm
      // finding, and most Python in a workspace is not modeling code (a file named is always linted).
      const job: PythonJob = { kind: c.kind, path: shown, bytes: read.bytes, size: read.size, settings, prefilter: !c.explicit, configModelType: configTypes.get(dir) };
      if (pool && pooled(c)) {
        pending.push(
          pool.run(job).then((r) => {
            if (r.skipped) {
              if (r.summary) unparsed.push({ file: shown, summary: r.summary });
              return;
            }
            linted++;
            pythonResults.push({ file: shown, text: r.text, findings: r.findings, summary: r.summary, settings });
          }),
        );
        continue;
      }
      const p = await pythonParser();
      if (c.kind === "python" && opts.fix && read.bytes) {
        const fixedText = fixPythonText(job, settings, p, { prefilter: job.prefilter, configModelType: job.configModelType });
        if (fixedText !== undefined && writeFix(c.path, shown, read, fixedText)) {
          const before = lintPython(job, settings, p).findings.length;
          job.bytes = new TextEncoder().encode(fixedText);
          job.size = job.bytes.length;
          fixed += Math.max(0, before - lintPython(job, settings, p).findings.length);
        }
      }
      const { result, findings } = lintPythonJob(job, p);
      if (result.status === "skipped") {
        if (result.summary) unparsed.push({ file: shown, summary: result.summary });
        continue;
      }
      linted++;
      pythonResults.push({ file: shown, text: result.text, findings, summary: result.summary, settings });
      if (result.module) folder.code.push(result);
      continue;
    }
    if (c.kind !== "config") {
      folder.files.push(c);
      continue;
    }
    const shown = displayPath(c.path, cwd);
    const read = readRegular(c.path, settings.maxFileSize);
    let input: LintInput = { path: shown, bytes: read.bytes, size: read.size, explicit: c.explicit };
    if (read.error) {
      addFindings(shown, "", [unreadable(shown, read.error)]);
      linted++;
      continue;
    }
    if (opts.fix && read.bytes) {
      const fixedText = fixConfigText(input, settings);
      if (fixedText !== undefined && writeFix(c.path, shown, read, fixedText)) {
        const before = lintConfig(input, settings).findings.length;
        input = { ...input, bytes: undefined, text: fixedText };
        const after = lintConfig(input, settings).findings.length;
        fixed += Math.max(0, before - after);
      }
    }
    const result = lintConfig(input, settings);
    if (result.status === "skipped") continue;
    linted++;
    if (basename(c.path) === "config.json") {
      if (result.modelType) configTypes.set(dir, result.modelType);
      folder.configBytes = input.text !== undefined ? new TextEncoder().encode(input.text) : read.bytes;
    }
    addFindings(shown, result.text, result.findings);
  }

  // Model folders are read here while the workers lint the other Python files, by the reader the
  // editor and `verify` share (src/node/folder.ts), limited to the files the walk kept.
  const folderFindings: Array<{ dir: string; finding: Finding; code: PythonLintResult }> = [];
  const lintModelFolder = async ([dir, folder]: [string, FolderWork]): Promise<void> => {
    const weights = folder.files.filter((f) => f.kind !== "pickle" && f.kind !== "params");
    const pickles = folder.files.filter((f) => f.kind === "pickle");
    const params = folder.files.some((f) => f.kind === "params");
    if (weights.length === 0 && !((pickles.length || folder.code.length || params) && folder.configBytes)) return;
    const read = await readModelFolderInput(dir, nodeAccess, {
      display: (p) => displayPath(p, cwd),
      names: new Set(folder.files.map((f) => basename(f.path))),
      config: folder.configBytes ?? null,
      code: folder.code.map((r) => ({ path: r.path, text: r.module!.text, module: r.module! })),
    });
    try {
      const input = read.input;
      linted += weights.filter((f) => f.kind !== "index").length;
      for (const p of read.problems) addFindings(p.path, "", [unreadable(p.path, p.error)]);
      const { findings } = await lintFolder(input, (file) => settingsOf(resolve(cwd, file)).settings);
      for (const f of findings) {
        const code = folder.code.find((r) => r.path === f.file);
        if (code && f.rule === "checkpoint-norm-keys-mismatch") {
          // A loader elsewhere in the project may rename these keys: settled with the project below.
          folderFindings.push({ dir: resolve(cwd, dir), finding: f, code });
          continue;
        }
        if (code) {
          // Findings on code lines: a notebook's move into their cell, then into the .ipynb JSON.
          addFindings(f.file, code.text, code.status === "notebook" ? notebookCellFindings(code, [f]).map(notebookMapper(code.text)) : [f]);
          continue;
        }
        const text = f.file === input.config?.path ? new TextDecoder().decode(input.config.bytes) : f.file === input.index?.path ? new TextDecoder().decode(input.index.bytes) : "";
        addFindings(f.file, text, [f]);
      }
    } finally {
      await read.close();
    }
  };
  // A few folders at a time: a folder is mostly waiting on small ranged reads, and each folder's
  // findings go to its own files, so the report does not depend on which finishes first.
  const queue = [...folders];
  await Promise.all(Array.from({ length: Math.min(8, queue.length) }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await lintModelFolder(next);
  }));
  await Promise.all(pending);
  await pool?.close();
  // Every summarised module answers for the others of its project (src/engine/project).
  const roots = projectRoots(new Set([...folders].filter(([, f]) => f.configBytes || f.files.length).map(([d]) => resolve(cwd, d))));
  // In the order of the walk, whichever thread finished first: a project lists its loaders in it.
  const walkOrder = new Map(candidates.map((c, i) => [displayPath(c.path, cwd), i]));
  pythonResults.sort((a, b) => (walkOrder.get(a.file) ?? 0) - (walkOrder.get(b.file) ?? 0));
  const groups = new Map<string, typeof pythonResults>();
  const others = new Map<string, ModuleSummary[]>();
  for (const r of pythonResults) {
    const root = roots(dirname(resolve(cwd, r.file)));
    const group = groups.get(root);
    if (group) group.push(r);
    else groups.set(root, [r]);
  }
  for (const u of unparsed) {
    const root = roots(dirname(resolve(cwd, u.file)));
    const list = others.get(root);
    if (list) list.push(u.summary);
    else others.set(root, [u.summary]);
  }
  const projects = new Map<string, Project>();
  for (const [root, group] of groups) {
    const project = new Project([...group.flatMap((r) => (r.summary ? [r.summary] : [])), ...(others.get(root) ?? [])]);
    projects.set(root, project);
    for (const r of group) {
      const beside = folders.get(dirname(resolve(cwd, r.file)))?.files.some((f) => f.kind !== "pickle" && f.kind !== "index") ?? false;
      addFindings(r.file, r.text, judgeFindings(r.findings, r.summary, project, userLevels(r.settings), { checkpointBeside: beside }));
    }
  }

  for (const { dir, finding, code } of folderFindings) {
    // The model folder is a project of its own; the code around it (the repository or package it
    // sits in, up to the first .git/pyproject.toml/setup.py) may hold the loader that reads it.
    const inFolder = (p: string) => dirname(resolve(cwd, p)) === dir;
    const levels = userLevels(settingsOf(resolve(cwd, finding.file)).settings);
    let f = finding;
    for (let root = roots(dir), hops = 0; hops < 16 && f === finding; hops++) {
      const project = projects.get(root);
      if (project) f = judgeFolderFinding(finding, project, inFolder, levels);
      const up = dirname(root);
      if (up === root || PROJECT_MARKERS.some((m) => existsSync(join(root, m)))) break;
      root = roots(up);
    }
    addFindings(f.file, code.text, code.status === "notebook" ? notebookCellFindings(code, [f]).map(notebookMapper(code.text)) : [f]);
  }

  return { reports: [...reports.values()], files: candidates.length, linted, fixed, failed: missing > 0 || unwritten > 0 };
}

/**
 * The project a folder's code belongs to: the nearest folder, from it upwards, that is a model
 * folder (a config.json or checkpoints: the code beside the weights is that model's), or a
 * repository or package root (.git, pyproject.toml, setup.py, setup.cfg); else the file system root.
 */
function projectRoots(modelDirs: Set<string>): (dir: string) => string {
  const memo = new Map<string, string>();
  const marked = (d: string) => modelDirs.has(d) || PROJECT_MARKERS.some((m) => existsSync(join(d, m)));
  const find = (dir: string): string => {
    const known = memo.get(dir);
    if (known !== undefined) return known;
    const parent = dirname(dir);
    const root = marked(dir) || parent === dir ? dir : find(parent);
    memo.set(dir, root);
    return root;
  };
  return find;
}


if (require.main === module && !isPythonWorker) {
  run(process.argv.slice(2), (s) => process.stdout.write(s), (s) => process.stderr.write(s)).then((code) => {
    process.exitCode = code;
  });
}
