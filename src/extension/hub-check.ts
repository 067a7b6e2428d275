// "normlint: Check a Hugging Face Model...": the config and folder rules on a Hub repository, read
// through the Hub's ranged reads (src/node/hub) by the same reader and engine calls as a local model
// folder, the findings on read-only documents of the remote files (hub-docs.ts), and a summary of
// what it cost. Also opens the repositories the Norm Lab compares (RemoteModel). The controller
// imports this module on first use (its own bundle, dist/extension-hub.js), so activation loads
// neither it nor the Hub client.
import { formatBytes } from "../engine/io";
import type { CodeModule } from "../engine/folder-model";
import type { ModuleSummary } from "../engine/project/index";
import type { PythonParser } from "../engine/python";
import type { FileSettings } from "../engine/settings";
import type { Finding } from "../engine/types";
import type { FileAccess } from "../node/access";
import { HubError, type HubOptions, type HubRepo, type HubStats, type HubTarget, openHubRepo, parseHubTarget } from "../node/hub";
import { type HubDocuments, hubDocUri } from "./hub-docs";
import { mapToRendered, type RenderedHeader, renderCheckpoint } from "./hub-render";
import type { ExtensionSettings } from "./settings";
import { toFileSettings } from "./settings";
import { Positions, toDiag } from "./translate";
import type { Diag, Host, RemoteModel, Uri } from "./types";

type Engine = typeof import("./engine");

export const HUB_INPUT_PROMPT = "A Hugging Face model: owner/repo, owner/repo@revision, hf://owner/repo/subfolder or a huggingface.co URL";

/**
 * What was typed, as the CLI's target grammar reads it (src/node/hub parseHubTarget): a bare
 * `owner/repo[@revision][/subfolder]` is taken as `hf://...`, the way users copy a repository id.
 */
function parseInput(text: string): { target?: HubTarget; error?: string } {
  const t = text.trim();
  const arg = /^[a-z][\w+.-]*:\/\//i.test(t) ? t : `hf://${t}`;
  try {
    const target = parseHubTarget(arg);
    if (target) return { target };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
  return { error: /^https?:\/\//i.test(t) ? "Not a Hugging Face model URL: expected https://huggingface.co/<owner>/<repo>[/tree/<revision>]" : `“${t}” is not a repository id: owner/repo, owner/repo@revision or hf://owner/repo/subfolder` };
}

/**
 * The input box's verdict on what is typed so far: undefined when it names a repository (or is
 * still empty), else why not.
 */
export function validateHubInput(text: string): string | undefined {
  const t = text.trim();
  if (!t) return undefined;
  if (!/^[a-z][\w+.-]*:\/\//i.test(t) && !t.includes("/")) return `“${t}” has no owner: type owner/repo, e.g. google/gemma-2-2b`;
  return parseInput(t).error;
}

/** The target named by what was typed, if it names one. */
export function hubTargetOf(text: string): HubTarget | undefined {
  return text.trim() ? parseInput(text).target : undefined;
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;

/** "12 requests, 54 KiB fetched (3 reads from normlint's cache)". */
export function costText(s: HubStats): string {
  return `${plural(s.requests, "request")}, ${formatBytes(s.bytes)} fetched${s.cachedReads ? ` (${plural(s.cachedReads, "read")} from normlint's cache)` : ""}${s.retries ? `, ${plural(s.retries, "retry")}` : ""}`;
}

/** What a Hub error means for the user, with what to do about it. */
export function hubErrorText(e: unknown, target: HubTarget): string {
  const name = `${target.repo}${target.revision && target.revision !== "main" ? `@${target.revision}` : ""}`;
  if (e instanceof HubError) {
    switch (e.kind) {
      case "not-found":
        return `${name} was not found on the Hub (check the repository id and the revision): ${e.message}`;
      case "gated":
        return `${name} is gated: accept its terms on the Hub, then give normlint a token (the HF_TOKEN environment variable or huggingface-cli login's token file) and reload the window. ${e.message}`;
      case "unauthorized":
        return `${name} needs a token normlint does not have or that the Hub refused (HF_TOKEN or the token file of huggingface-cli login): ${e.message}`;
      case "budget":
        return `checking ${name} stopped at its byte budget: ${e.message}`;
      case "offline":
        return `${name} is not in normlint's cache and the Hub cannot be reached: ${e.message}`;
      case "usage":
        return e.message;
      default:
        return `checking ${name} failed (${e.kind}): ${e.message}`;
    }
  }
  return `checking ${name} failed: ${e instanceof Error ? e.message : String(e)}`;
}

const isAbort = (e: unknown, signal: AbortSignal) => signal.aborted || (e instanceof Error && e.name === "AbortError");

/** A remote file's document: its text, and for a checkpoint where its byte offsets land in it. */
interface RemoteDoc {
  uri: Uri;
  positions: Positions;
  rendered?: RenderedHeader;
}

/**
 * Findings of a Hub check as diagnostics on the virtual documents. A finding in a checkpoint
 * (byte offsets into a binary file) moves onto its rendered header line first, and so does a
 * related location there; findings in files without a document (none expected) are dropped.
 */
export function hubDiagnostics(findings: Finding[], docs: Map<string, RemoteDoc>, docsUrl: (rule: string) => string): Map<Uri, Diag[]> {
  const byUri = new Map<Uri, Diag[]>();
  const onText = (file: string, start: number, end: number, offset?: unknown) => {
    const d = docs.get(file);
    if (!d?.rendered) return { start, end };
    return mapToRendered(d.rendered, start, end, typeof offset === "number" ? offset : undefined);
  };
  for (const f of findings) {
    const doc = docs.get(f.file);
    if (!doc) continue;
    const moved: Finding = {
      ...f,
      ...onText(f.file, f.start, f.end, f.data?.offset),
      related: f.related?.map((r) => ({ ...r, ...onText(r.file, r.start, r.end) })),
    };
    const diag = toDiag(moved, doc.positions, { uri: doc.uri, docsUrl, uriOf: (file) => docs.get(file)?.uri, positionsOf: (u) => [...docs.values()].find((x) => x.uri === u)?.positions });
    byUri.set(doc.uri, [...(byUri.get(doc.uri) ?? []), diag]);
  }
  return byUri;
}

export interface HubCheckDeps {
  host: Host;
  engine(): Promise<Engine>;
  /** The window's normlint settings (customizations, weight sampling, size cap). */
  settings(): ExtensionSettings;
  docs: HubDocuments;
  /** Replaces what one owner published (the controller's DiagnosticsBook). */
  publish(owner: string, byUri: Map<Uri, Diag[]>): void;
  docsUrl(rule: string): string;
  /** Opens the Norm Lab on a folder (a `hf://` location here). */
  openLab(folder: string): void;
  /** The Python parser the controller shares, for the repository's modeling code. */
  parser?(): Promise<PythonParser>;
  /** The Hub client (tests pass a fake repository); default: src/node/hub's openHubRepo. */
  open?: (target: HubTarget, opts: HubOptions) => Promise<HubRepo>;
}

/** What one check found, for the summary and the tests. */
export interface HubCheckResult {
  repo: HubRepo;
  diagnostics: Map<Uri, Diag[]>;
  documents: Uri[];
  counts: { errors: number; warnings: number; infos: number };
  /** The Norm Lab has something to compare: a config beside safetensors weights, or a GGUF file. */
  runnable: boolean;
}

const trimSlash = (s: string) => s.replace(/\/+$/, "");

export class HubCheck {
  /** Repositories opened in this window, by their pinned folder location (`hf://owner/repo@commit[/sub]`). */
  private readonly repos = new Map<string, HubRepo>();

  constructor(private readonly deps: HubCheckDeps) {}

  private open(target: HubTarget, signal?: AbortSignal): Promise<HubRepo> {
    return (this.deps.open ?? openHubRepo)(target, { signal, maxBytes: this.deps.settings().weights.maxBytes + 16 * 1024 * 1024 });
  }

  /** The command: asks for a repository (unless given one), checks it with a cancellable progress notification. */
  async command(arg?: unknown): Promise<HubCheckResult | undefined> {
    const host = this.deps.host;
    let text = typeof arg === "string" ? arg : undefined;
    if (text === undefined) {
      text = await host.inputBox({ title: "normlint: Check a Hugging Face Model", prompt: HUB_INPUT_PROMPT, placeHolder: "google/gemma-2-2b", validate: validateHubInput });
      if (text === undefined || !text.trim()) return undefined;
    }
    const target = hubTargetOf(text);
    if (!target) {
      host.showWarning(`normlint: ${validateHubInput(text) ?? "not a Hugging Face model"}`);
      return undefined;
    }
    const label = `${target.repo}${target.revision && target.revision !== "main" ? `@${target.revision}` : ""}${target.subfolder ? `/${target.subfolder}` : ""}`;
    let result: HubCheckResult | undefined;
    try {
      result = await host.withProgress(`normlint: checking ${label} on the Hub`, (progress) => this.check(target, progress));
    } catch (e) {
      host.log.error(hubErrorText(e, target));
      void host.showWarning(`normlint: ${hubErrorText(e, target)}`, "Show Output").then((c) => c === "Show Output" && host.showOutput());
      return undefined;
    }
    if (!result) {
      host.log.info(`Hub check of ${label} cancelled`);
      host.showInfo(`normlint: the check of ${label} was cancelled.`);
      return undefined;
    }
    void this.summarize(result);
    return result;
  }

  /** Reads the repository and publishes its findings; undefined when cancelled. */
  async check(target: HubTarget, progress: { report(message: string): void; readonly signal: AbortSignal }): Promise<HubCheckResult | undefined> {
    const { host } = this.deps;
    const signal = progress.signal;
    try {
      progress.report("resolving the revision");
      const repo = await this.open(target, signal);
      this.repos.set(trimSlash(repo.dir), repo);
      if (signal.aborted) return undefined;
      progress.report(`reading config.json and the checkpoint headers at ${repo.commit.slice(0, 12)}`);
      const engine = await this.deps.engine();
      const ext = this.deps.settings();
      const settings = toFileSettings(engine.defaultSettings(), undefined, ext, engine.RULES);
      const read = await engine.readModelFolderInput(repo.dir, repo.access, { maxFileSize: settings.maxFileSize, maxNormBytes: ext.weights.sampling === "off" ? 0 : ext.weights.maxBytes });
      try {
        if (signal.aborted) return undefined;
        const { input } = read;
        const findings: Finding[] = [];
        const docs = new Map<string, RemoteDoc>();
        const textDoc = (path: string, bytes: Uint8Array) => {
          const text = new TextDecoder().decode(bytes);
          docs.set(path, { uri: hubDocUri(path), positions: new Positions(text) });
          return text;
        };
        let configModelType: string | undefined;
        if (input.config) {
          const text = textDoc(input.config.path, input.config.bytes);
          const r = engine.lintConfig({ path: input.config.path, text }, settings);
          configModelType = r.modelType;
          findings.push(...r.findings);
        }
        if (input.index) textDoc(input.index.path, input.index.bytes);
        if (input.params) textDoc(input.params.path, input.params.bytes);
        // The repository's modeling code (remote-code models), as the CLI lints a remote or local
        // folder's: each file alone, then judged with the others (the repository is its project).
        const code = await this.lintCode(engine, repo, read.code, settings, configModelType);
        for (const c of code.files) docs.set(c.path, { uri: hubDocUri(c.path), positions: new Positions(c.text) });
        if (code.modules.length) input.code = code.modules;
        const project = new engine.Project(code.summaries);
        const levels = engine.userLevels(settings);
        const checkpoints = [...input.safetensors, ...input.gguf];
        for (const c of code.files) findings.push(...engine.judgeFindings(c.findings, c.summary, project, levels, { checkpointBeside: checkpoints.length > 0 }));
        if (checkpoints.length || input.index || ((input.pickles.length || code.modules.length || input.params) && input.config)) {
          progress.report(`reading the norm tensors of ${plural(checkpoints.length, "checkpoint")} by range`);
          const { findings: folderFindings, folder } = await engine.lintFolder(input, () => settings);
          if (signal.aborted) return undefined;
          // NL304 on the code judged with the repository's loaders (which may rename the keys).
          findings.push(...folderFindings.map((f) => (f.rule === "checkpoint-norm-keys-mismatch" && code.modules.some((m) => m.path === f.file) ? engine.judgeFolderFinding(f, project, () => true, levels) : f)));
          for (const c of folder.checkpoints) {
            const size = checkpoints.find((x) => x.path === c.path)?.source.size ?? 0;
            const rendered = renderCheckpoint(c.path, size, c, folder.normTensors.find((t) => t.file === c.path)?.name);
            docs.set(c.path, { uri: hubDocUri(c.path), positions: new Positions(rendered.text), rendered });
          }
        }
        // A Hub read that failed (budget, network, a gated file) made the engine report the file as
        // unreadable: those findings describe the transfer, not the model, and are not shown.
        const failure = repo.failure();
        if (failure) throw failure;
        for (const p of read.problems) host.log.warn(`${p.path} was not read: ${p.error}`);
        if (!input.config && !checkpoints.length) throw new Error(`${repo.target.repo} at ${repo.commit.slice(0, 12)} has no config.json and no .safetensors or .gguf file${repo.target.subfolder ? ` in ${repo.target.subfolder}` : ""}: not a model normlint can check`);
        for (const d of docs.values()) this.deps.docs.set(d.uri, d.positions.text);
        const diagnostics = hubDiagnostics(findings, docs, this.deps.docsUrl);
        this.deps.publish(`hub:${trimSlash(repo.dir)}`, diagnostics);
        const all = [...diagnostics.values()].flat();
        const counts = { errors: all.filter((d) => d.severity === "error").length, warnings: all.filter((d) => d.severity === "warning").length, infos: all.filter((d) => d.severity === "info").length };
        const runnable = (!!input.config && input.safetensors.length > 0) || input.gguf.length > 0;
        for (const f of findings) host.log.info(`${f.file}: ${f.code} ${f.severity}: ${f.message}`);
        return { repo, diagnostics, documents: [...docs.values()].map((d) => d.uri), counts, runnable };
      } finally {
        await read.close();
      }
    } catch (e) {
      if (isAbort(e, signal)) return undefined;
      throw e;
    }
  }

  /** Lints the repository's Python files (fetched whole, under the size cap); notebooks are not read. */
  private async lintCode(engine: Engine, repo: HubRepo, files: Array<{ location: string; path: string; kind: "python" | "notebook" }>, settings: FileSettings, configModelType: string | undefined) {
    const out = { files: [] as Array<{ path: string; text: string; findings: Finding[]; summary?: ModuleSummary }>, modules: [] as CodeModule[], summaries: [] as ModuleSummary[] };
    const python = files.filter((f) => f.kind === "python");
    if (!python.length || !this.deps.parser) return out;
    let parser: PythonParser;
    try {
      parser = await this.deps.parser();
    } catch (e) {
      this.deps.host.log.warn(`the repository's Python files were not read: ${e instanceof Error ? e.message : String(e)}`);
      return out;
    }
    for (const f of python) {
      const r = await repo.access.read(f.location, settings.maxFileSize);
      if (!r.bytes) {
        this.deps.host.log.warn(`${f.path} was not read: ${r.error ?? `${r.size} bytes, over the ${settings.maxFileSize}-byte cap`}`);
        continue;
      }
      const lr = engine.lintPython({ path: f.path, bytes: r.bytes, size: r.size }, settings, parser, { configModelType, project: "defer" });
      if (lr.summary) out.summaries.push(lr.summary);
      if (lr.status === "skipped") continue;
      if (lr.module) out.modules.push({ path: f.path, text: lr.module.text, module: lr.module });
      out.files.push({ path: f.path, text: lr.text, findings: lr.findings, summary: lr.summary });
    }
    for (const f of files.filter((x) => x.kind === "notebook")) this.deps.host.log.info(`${f.path}: notebooks in a Hub repository are not read`);
    return out;
  }

  private async summarize(r: HubCheckResult): Promise<void> {
    const { host } = this.deps;
    const { repo, counts } = r;
    const name = `${repo.target.repo}@${repo.commit.slice(0, 12)}${repo.target.subfolder ? `/${repo.target.subfolder}` : ""}`;
    const found = counts.errors + counts.warnings + counts.infos ? [counts.errors && plural(counts.errors, "error"), counts.warnings && plural(counts.warnings, "warning"), counts.infos && plural(counts.infos, "info")].filter(Boolean).join(", ") : "no problems";
    const cost = costText(repo.stats());
    host.log.info(`Hub check of ${name} (${repo.endpoint}): ${found} in ${plural(r.documents.length, "file")}; ${cost}`);
    const config = r.documents.find((u) => u.endsWith("/config.json")) ?? r.documents[0];
    if (config) await host.showFile(config);
    const actions = [...(r.runnable ? ["Open in Norm Lab"] : []), "Show Output"];
    const choice = await host.showInfo(`normlint: ${name}: ${found}; ${cost}. Nothing else was downloaded.`, ...actions);
    if (choice === "Open in Norm Lab") this.deps.openLab(trimSlash(repo.dir));
    else if (choice === "Show Output") host.showOutput();
  }

  /**
   * The repository a Norm Lab folder (`hf://owner/repo@commit[/sub]`) names, for its ranged reads:
   * the one a check opened in this window, else opened again at that commit (normlint's cache
   * usually answers). `bytesRead` counts what the Norm Lab's reads asked for, cached or not.
   */
  async remote(folder: string): Promise<RemoteModel> {
    const key = trimSlash(folder);
    let repo = this.repos.get(key);
    if (!repo) {
      const target = parseHubTarget(key);
      if (!target) throw new Error(`${folder} is not a Hugging Face location`);
      repo = await this.open(target);
      this.repos.set(trimSlash(repo.dir), repo);
    }
    const counted = countingAccess(repo.access);
    const pinned = repo;
    return {
      dir: repo.dir,
      label: `hf://${repo.target.repo}@${repo.commit}${repo.target.subfolder ? `/${repo.target.subfolder}` : ""}`,
      url: `${repo.endpoint.replace(/\/+$/, "")}/${repo.target.repo}/tree/${repo.commit}${repo.target.subfolder ? `/${repo.target.subfolder}` : ""}`,
      access: counted.access,
      stats: () => ({ ...pinned.stats(), ...counted.totals() }),
      failure: () => pinned.failure(),
      docUri: (location) => hubDocUri(location),
    };
  }
}

/** A FileAccess that counts the bytes its opened sources return (what a reader cost, cached or fetched). */
export function countingAccess(access: FileAccess): { access: FileAccess; totals(): { bytesRead: number; reads: number } } {
  let bytesRead = 0;
  let reads = 0;
  return {
    access: {
      ...access,
      async open(file) {
        const src = await access.open(file);
        return {
          size: src.size,
          async read(offset, length) {
            const b = await src.read(offset, length);
            bytesRead += b.length;
            reads++;
            return b;
          },
          close: () => src.close(),
        };
      },
    },
    totals: () => ({ bytesRead, reads }),
  };
}

