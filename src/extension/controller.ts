// The extension's behaviour, in plain TypeScript: which documents to lint and when, settings, the
// size cap, diagnostics, code actions, hovers and commands. It talks to VS Code only through the
// Host interface (host.ts implements it), so tests drive it with a fake host and the real engine.
// The engine is imported lazily on the first lint; the Python parser on the first Python lint.
import type { ModuleAnalysis, PythonParser } from "../engine/python";
import type { PythonTree, TextChange } from "../engine/parsers/python";
import type { FileSettings } from "../engine/settings";
import type { Finding } from "../engine/types";
import type { HubOptions, HubRepo, HubTarget } from "../node/hub";
import type { CommandHandlers } from "./commands";
import { ConfigResolver, CONFIG_FILE, type ResolvedConfig } from "./config-lookup";
import { DiagnosticsBook } from "./diagnostics";
import { HUB_SCHEME, HubDocuments, hubLocationOf } from "./hub-docs";
import { cellStarts, findingsByCell, isPythonCell, notebookCodeSize, notebookJson, utf8Length } from "./notebook";
import { type IndexedFile, ProjectIndex } from "./project-index";
import { Scheduler } from "./scheduler";
import { type ExtensionSettings, parseSettings, toFileSettings } from "./settings";
import { debugInfoText, type LastError, statusView } from "./status";
import { fixToEdits, minimalEdit, Positions, rangesTouch, safeEdits, toDiag } from "./translate";
import type { Action, Diag, Host, PanelHandle, Position, Range, Uri, WorkspaceEditSpec } from "./types";
import { basename, decodedPath, dirname, isInside, joinUri, relativePath, schemeOf } from "./uri";

type Engine = typeof import("./engine");
export type DocKind = "config" | "python" | "normlint-config";
/** Why a lint runs: typing re-anchors weight findings instead of re-reading checkpoints. */
export type Trigger = "open" | "type" | "save" | "settings" | "config" | "command" | "files";

/** Delay after the last keystroke before a lint (ms). */
export const TYPE_DELAY = 250;
// The files of a model folder besides config.json: a change re-reads the folder (params.json: Meta's
// config, whose eps is compared with config.json's).
const WEIGHT_EXTENSIONS = /\.(safetensors|gguf|bin|pt|pth|ckpt)$|\.safetensors\.index\.json$|^params\.json$/;
const SKIP_DIRS = /(^|\/)(node_modules|\.git|\.hg|\.svn|__pycache__|\.venv|venv|\.mypy_cache|site-packages|\.tox)\//;
export const NOTEBOOK_TYPE = "jupyter-notebook";
/** Most files of each kind Lint Workspace takes (a virtualenv inside the workspace can hold 100k .py files). */
const WORKSPACE_LIMIT = 20_000;

/** Schemes of documents that are views of something else (diffs, output, SCM input, a Hub check's files): never linted. */
const FOREIGN_SCHEMES = new Set([HUB_SCHEME, "vscode-notebook-cell", "git", "gitfs", "output", "vscode-scm", "comment", "walkThroughSnippet", "vscode-notebook-cell-output", "vscode-interactive-input", "chat-editing-snapshot-text-model", "review"]);

export function documentKind(doc: { uri: Uri; languageId: string }): DocKind | undefined {
  const name = basename(doc.uri);
  if (FOREIGN_SCHEMES.has(schemeOf(doc.uri))) return undefined;
  if (name === CONFIG_FILE) return "normlint-config";
  if (name === "config.json" && (doc.languageId === "json" || doc.languageId === "jsonc")) return "config";
  if (doc.languageId === "python") return "python";
  return undefined;
}

interface DocEntry {
  uri: Uri;
  version: number;
  kind: "config" | "python";
  positions: Positions;
  findings: Finding[];
  diags: Diag[];
  settings: FileSettings;
  display: string;
  module?: ModuleAnalysis;
}

interface CellEntry {
  notebook: Uri;
  index: number;
  version: number;
  positions: Positions;
  findings: Finding[];
  diags: Diag[];
}

interface NotebookEntry {
  uri: Uri;
  settings: FileSettings;
  display: string;
  module?: ModuleAnalysis;
  starts: Map<number, number>;
  cells: Map<Uri, CellEntry>;
}

/** A weight finding on config.json, with the JSON pointer it sits at so typing can move it. */
interface AnchoredFinding {
  finding: Finding;
  pointer: string;
  key: boolean;
}

/**
 * A file Lint Workspace covered. Whenever the file is not open, its diagnostics are what its bytes
 * on disk give; opening it shows its own text's instead, and closing it brings the disk's back.
 * A notebook's result is kept (its cells' URIs are only known while it is loaded) with the version
 * of the file it came from; a config.json or Python file is simply linted from disk again.
 */
interface DiskEntry {
  stamp?: string;
  perUri?: Map<Uri, Diag[]>;
  findings?: Finding[];
  /** The notebook was loaded through the host and linted on its cells (perUri is the cells'). */
  loaded?: boolean;
}

interface FolderEntry {
  dir: Uri;
  configUri: Uri;
  /** The config.json text the checkpoints were last checked against. */
  configText: string;
  anchored: AnchoredFinding[];
  other: Map<Uri, Diag[]>;
  related: Map<string, Uri>;
  /**
   * NL304 on the folder's own code as the folder rules found it, judged at each publish against the
   * projects around the folder (a loader elsewhere that maps the code's names makes it a note).
   */
  code: FolderCodeFinding[];
}

interface FolderCodeFinding {
  finding: Finding;
  uri: Uri;
  positions: Positions;
  /** The project roots from the folder's up to the first with a project marker, nearest first. */
  roots: Uri[];
  /** Display paths of the folder's own modules (their mappings are already in the finding). */
  inFolder: Set<string>;
  levels: (rule: string) => string | undefined;
}

export interface ControllerOptions {
  /** Delay after the last keystroke (default TYPE_DELAY); tests shorten it. */
  typeDelay?: number;
  timers?: ConstructorParameters<typeof Scheduler>[1];
  /** The Hub client for "Check a Hugging Face Model..." (tests pass a fake repository; default src/node/hub). */
  hubOpen?: (target: HubTarget, opts: HubOptions) => Promise<HubRepo>;
}

export class Controller {
  private readonly book: DiagnosticsBook;
  private readonly scheduler: Scheduler;
  private readonly docs = new Map<Uri, DocEntry>();
  /**
   * The last parse tree of each open Python file, told about every change since (`pending`), so the
   * next lint reparses incrementally (tree-sitter reuses the unchanged parts). `broken`: a change came
   * without offsets, the next lint parses from scratch.
   */
  private readonly trees = new Map<Uri, { tree: PythonTree; pending: TextChange[]; broken: boolean }>();
  private readonly notebooks = new Map<Uri, NotebookEntry>();
  private readonly cellOwner = new Map<Uri, Uri>();
  private readonly folders = new Map<Uri, FolderEntry>();
  private readonly linted = new Set<Uri>();
  private readonly disk = new Map<Uri, DiskEntry>();
  private readonly tooLarge = new Map<Uri, string>();
  private readonly configProblems = new Map<Uri, string>();
  private readonly loggedProblems = new Set<string>();
  private enginePromise?: Promise<Engine>;
  private engineModule?: Engine;
  private engineLoadMs?: number;
  private parser?: PythonParser;
  private resolver?: ConfigResolver;
  private busy = 0;
  private lastError?: LastError;
  private warnedTooLarge = false;
  private warnedError = false;
  private disposed = false;
  private lab?: import("./norm-lab").NormLab;
  private hubCheck?: import("./hub-check").HubCheck;
  /** The read-only documents of Hub checks, served by host.ts's content provider. */
  readonly hubDocuments = new HubDocuments();
  private index?: ProjectIndex;
  /** Directory listings for finding project roots (cleared when files are created or deleted). */
  private readonly listings = new Map<Uri, Promise<Array<[string, string]>>>();
  /** The .normlint.json the last "Ignore ... here" edit went to (normlint.showIgnoreFile opens it). */
  private lastIgnoreFile?: Uri;
  /** A rule code's link: the rule page bundled with the extension, opened inside the editor. */
  private readonly ruleDoc = (rule: string) => this.host.ruleDocUri(rule);
  readonly commands: CommandHandlers;
  /** Milliseconds activate took (set by the host), for debug info. */
  activationMs?: number;
  private readonly typeDelay: number;
  private readonly hubOpen?: ControllerOptions["hubOpen"];

  constructor(
    private readonly host: Host,
    options: ControllerOptions = {},
  ) {
    this.typeDelay = options.typeDelay ?? TYPE_DELAY;
    this.hubOpen = options.hubOpen;
    this.book = new DiagnosticsBook((uri, diags) => host.setDiagnostics(uri, diags));
    this.scheduler = new Scheduler((key, err) => this.recordError(err, `linting ${key.replace(/^\w+:/, "")}`), options.timers);
    this.commands = {
      "normlint.lintWorkspace": () => this.lintWorkspace(),
      "normlint.fixAllInFile": () => this.fixAllInFile(),
      "normlint.explainRule": (rule?: unknown) => this.explainRule(typeof rule === "string" ? rule : undefined),
      "normlint.showOutput": () => host.showOutput(),
      "normlint.copyDebugInfo": () => this.copyDebugInfo(),
      "normlint.openNormLab": (folder?: unknown) => this.openNormLab(folder),
      "normlint.checkHubModel": async (repo?: unknown) => (await this.hub()).command(repo),
      "normlint.showIgnoreFile": () => this.lastIgnoreFile && this.host.showFile(this.lastIgnoreFile),
    };
  }

  // Lifecycle -----------------------------------------------------------------------------------

  /** Lints what is already open. Returns at once; the engine loads in the background. */
  start(): void {
    this.updateStatus();
    for (const d of this.host.openDocuments()) this.onOpen(d.uri);
    for (const nb of this.host.openNotebooks()) this.onNotebookOpen(nb.uri);
  }

  dispose(): void {
    this.disposed = true;
    this.scheduler.dispose();
    this.lab?.dispose();
    for (const uri of [...this.trees.keys()]) this.dropTree(uri);
    this.parser = undefined;
    this.engineModule?.disposePythonParser();
  }

  /** The engine module, imported on first use. */
  engine(): Promise<Engine> {
    this.enginePromise ??= (async () => {
      const t0 = performance.now();
      const m = await import("./engine");
      this.engineLoadMs = performance.now() - t0;
      this.engineModule = m;
      this.resolver = new ConfigResolver((uri) => this.readText(uri), m.loadConfig);
      this.host.log.info(`engine loaded in ${this.engineLoadMs.toFixed(1)} ms`);
      return m;
    })();
    return this.enginePromise;
  }

  private async pythonParser(engine: Engine): Promise<PythonParser> {
    if (this.parser) return this.parser;
    const t0 = performance.now();
    const p = await engine.pythonParser(this.host.extensionDir);
    if (!this.parser) this.host.log.info(`Python parser (tree-sitter wasm) ready in ${(performance.now() - t0).toFixed(1)} ms`);
    this.parser = p;
    return p;
  }

  // Events from the editor ------------------------------------------------------------------------

  onOpen(uri: Uri): void {
    const doc = this.host.document(uri);
    if (!doc) return;
    const kind = documentKind(doc);
    if (kind === "normlint-config") this.configChanged();
    else if (kind) this.scheduler.schedule(`doc:${uri}`, 0, () => this.lintDocument(uri, "open"));
  }

  /**
   * A change of an open document. `changes` (offsets into the text before each change, applied in
   * order, as VS Code's contentChanges) let the next lint reparse incrementally; without them the
   * next parse starts from scratch.
   */
  onChange(uri: Uri, changes?: TextChange[]): void {
    const kept = this.trees.get(uri);
    if (kept) {
      if (changes) kept.pending.push(...changes);
      else kept.broken = true;
    }
    const owner = this.cellOwner.get(uri) ?? this.notebookOfCell(uri);
    if (owner) return this.onNotebookChange(owner);
    const doc = this.host.document(uri);
    if (!doc) return;
    const kind = documentKind(doc);
    if (kind === "normlint-config") return this.configChanged();
    if (!kind || this.settings(uri).run !== "onType") return;
    this.scheduler.schedule(`doc:${uri}`, this.typeDelay, () => this.lintDocument(uri, "type"));
  }

  onSave(uri: Uri): void {
    const doc = this.host.document(uri);
    if (!doc) return;
    const kind = documentKind(doc);
    if (kind === "normlint-config") return this.configChanged();
    if (kind) this.scheduler.schedule(`doc:${uri}`, 0, () => this.lintDocument(uri, "save"));
    if (kind === "python") this.folderCodeChanged(uri);
  }

  /** A model folder's Python file was saved or changed on disk: its NL304 compares the new names with the checkpoint. */
  private folderCodeChanged(uri: Uri): void {
    const configUri = joinUri(dirname(uri), "config.json");
    if (this.folders.has(dirname(uri)) && this.docs.has(configUri)) this.scheduler.schedule(`doc:${configUri}`, 500, () => this.lintDocument(configUri, "files"));
  }

  onClose(uri: Uri): void {
    this.scheduler.cancel(`doc:${uri}`);
    this.dropTree(uri);
    this.docs.delete(uri);
    this.tooLarge.delete(uri);
    if (basename(uri) === CONFIG_FILE) this.configChanged();
    if (this.disk.has(uri)) {
      // Lint Workspace covered it: the disk's findings replace the open text's, in one step.
      this.scheduler.schedule(`doc:${uri}`, 0, async () => void (await this.lintFromDisk(await this.engine(), uri)));
    } else {
      this.book.clear(`doc:${uri}`);
      if (basename(uri) === "config.json") this.clearFolder(dirname(uri));
      else this.reindexFromDisk(uri);
    }
    this.updateStatus();
  }

  onNotebookOpen(uri: Uri): void {
    this.scheduler.schedule(`nb:${uri}`, 0, () => this.lintNotebook(uri, "open"));
  }

  onNotebookChange(uri: Uri): void {
    if (this.settings(uri).run !== "onType") return;
    this.scheduler.schedule(`nb:${uri}`, this.typeDelay, () => this.lintNotebook(uri, "type"));
  }

  onNotebookSave(uri: Uri): void {
    this.scheduler.schedule(`nb:${uri}`, 0, () => this.lintNotebook(uri, "save"));
  }

  onNotebookClose(uri: Uri): void {
    this.scheduler.cancel(`nb:${uri}`);
    const entry = this.notebooks.get(uri);
    for (const cell of entry?.cells.keys() ?? []) this.cellOwner.delete(cell);
    this.notebooks.delete(uri);
    this.tooLarge.delete(uri);
    if (this.disk.has(uri)) this.scheduler.schedule(`nb:${uri}`, 0, async () => void (await this.lintFromDisk(await this.engine(), uri)));
    else {
      this.book.clear(`doc:${uri}`);
      this.reindexFromDisk(uri);
    }
    this.updateStatus();
  }

  /** A file changed on disk (the file system watcher). */
  onFileEvent(uri: Uri, type: "created" | "changed" | "deleted"): void {
    const name = basename(uri);
    if (name === CONFIG_FILE) return this.configChanged();
    // Project roots follow files that appear or go (a new pyproject.toml, a deleted folder).
    if (type !== "changed") this.listings.clear();
    if (type === "deleted") this.index?.removeInside(uri);
    else if (/\.(py|ipynb)$/.test(name) && !this.disk.has(uri) && !this.host.document(uri) && !this.host.notebook(uri)) this.reindexFromDisk(uri);
    if (name.endsWith(".py") && !this.host.document(uri)) this.folderCodeChanged(uri);
    if (type === "deleted") {
      this.book.clear(`doc:${uri}`);
      this.docs.delete(uri);
      this.linted.delete(uri);
      this.tooLarge.delete(uri);
      if (name === "config.json") this.clearFolder(dirname(uri));
      // A deleted folder: everything under it goes.
      this.book.clearWhere((owner) => isInside(uri, owner.replace(/^\w+:/, "")));
      for (const f of [...this.disk.keys()]) if (isInside(uri, f)) this.disk.delete(f);
    }
    if (WEIGHT_EXTENSIONS.test(name)) {
      const configUri = joinUri(dirname(uri), "config.json");
      const open = this.docs.get(configUri);
      if (open) this.scheduler.schedule(`doc:${configUri}`, 500, () => this.lintDocument(configUri, "files"));
      else if (type === "deleted") this.clearFolder(dirname(uri));
    } else if (type === "changed" && this.disk.has(uri) && !this.host.document(uri) && !this.host.notebook(uri)) {
      // Diagnostics of a closed file (from Lint Workspace) follow its changes on disk.
      this.scheduler.schedule(`${name.endsWith(".ipynb") ? "nb" : "doc"}:${uri}`, 500, async () => void (await this.lintFromDisk(await this.engine(), uri)));
    }
    this.updateStatus();
  }

  onSettingsChanged(): void {
    this.relintAll("settings");
  }

  /** A .normlint.json changed (saved, created, deleted, or edited in an editor): everything re-resolves. */
  configChanged(): void {
    this.scheduler.schedule("config", this.typeDelay, async () => {
      this.resolver?.invalidate();
      this.book.clearWhere((o) => o.startsWith("cfg:"));
      this.configProblems.clear();
      // An open .normlint.json shows its own problems even when no linted file uses it.
      const engine = await this.engine();
      for (const d of this.host.openDocuments()) {
        if (documentKind(d) !== "normlint-config") continue;
        const { findings } = engine.loadConfig(d.text, decodedPath(d.uri), decodedPath(dirname(d.uri)));
        this.publishConfigProblems({ uri: d.uri, text: d.text, findings });
      }
      this.relintAll("config");
    });
  }

  private relintAll(trigger: Trigger): void {
    for (const d of this.host.openDocuments()) {
      const kind = documentKind(d);
      if (kind && kind !== "normlint-config") this.scheduler.schedule(`doc:${d.uri}`, 0, () => this.lintDocument(d.uri, trigger));
    }
    for (const nb of this.host.openNotebooks()) this.scheduler.schedule(`nb:${nb.uri}`, 0, () => this.lintNotebook(nb.uri, trigger));
  }

  /** Resolves when no lint is scheduled or running (tests). */
  idle(): Promise<void> {
    return this.scheduler.idle();
  }

  // Settings ------------------------------------------------------------------------------------

  settings(scope: Uri | undefined): ExtensionSettings {
    const { settings, problems } = parseSettings(this.host.settings(scope));
    for (const p of problems) {
      if (this.loggedProblems.has(p)) continue;
      this.loggedProblems.add(p);
      this.host.log.warn(p);
    }
    return settings;
  }

  /** Engine settings for a file: its nearest .normlint.json, then the editor's customizations. */
  private async fileSettings(engine: Engine, uri: Uri, ext: ExtensionSettings): Promise<{ settings: FileSettings; excluded: boolean; config?: ResolvedConfig }> {
    const config = await this.resolver!.forFile(uri);
    if (config) this.publishConfigProblems(config);
    const rel = ConfigResolver.relPath(config, uri, this.host.workspaceFolder(uri));
    const excluded = engine.isExcluded(config?.loaded, rel);
    const project = engine.resolveSettings(config?.loaded, rel);
    return { settings: toFileSettings(project, config?.loaded.config.maxFileSize, ext, engine.RULES), excluded, config };
  }

  private publishConfigProblems(config: Pick<ResolvedConfig, "uri" | "text" | "findings">): void {
    const pos = new Positions(config.text);
    const diags = config.findings.map((f) => toDiag(f, pos, { uri: config.uri, docsUrl: this.ruleDoc }));
    this.book.set(`cfg:${config.uri}`, new Map([[config.uri, diags]]));
    if (diags.length) this.configProblems.set(config.uri, this.host.displayPath(config.uri));
    else this.configProblems.delete(config.uri);
    this.updateStatus();
  }

  private async readText(uri: Uri): Promise<string | undefined> {
    const open = this.host.document(uri);
    if (open) return open.text;
    const bytes = await this.host.readFile(uri);
    return bytes ? new TextDecoder().decode(bytes) : undefined;
  }

  // Linting -------------------------------------------------------------------------------------

  private async track<T>(work: () => Promise<T>): Promise<T> {
    this.busy++;
    this.updateStatus();
    try {
      return await work();
    } finally {
      this.busy--;
      this.updateStatus();
    }
  }

  private forget(uri: Uri): void {
    this.dropTree(uri);
    this.index?.remove(uri);
    this.docs.delete(uri);
    this.book.clear(`doc:${uri}`);
    if (basename(uri) === "config.json") this.clearFolder(dirname(uri));
    this.tooLarge.delete(uri);
  }

  /** Lints an open config.json or Python file and publishes its diagnostics. */
  async lintDocument(uri: Uri, trigger: Trigger): Promise<void> {
    if (this.disposed) return;
    const first = this.host.document(uri);
    if (!first) return;
    const kind = documentKind(first);
    if (kind !== "config" && kind !== "python") return;
    const ext = this.settings(uri);
    if (!ext.enable) return this.forget(uri);
    await this.track(async () => {
      const engine = await this.engine();
      const { settings, excluded } = await this.fileSettings(engine, uri, ext);
      const parser = kind === "python" ? await this.pythonParser(engine) : undefined;
      const configModelType = kind === "python" ? await this.governingModelType(uri) : undefined;
      const place = kind === "python" ? await this.placement(uri) : undefined;
      // Read the text last (the awaits above may have let the user type), and once: each read copies it.
      const doc = this.host.document(uri);
      if (!doc || this.disposed) return;
      if (excluded) return this.forget(uri);
      const text = doc.text;
      const display = this.host.displayPath(uri);
      const size = utf8Length(text);
      const over = size > settings.maxFileSize;
      this.noteSize(uri, display, size, settings.maxFileSize, over);
      const input = over ? { path: display, size } : { path: display, text };
      const t0 = performance.now();
      const tree = kind === "python" && !over ? this.reparse(parser!, uri, text) : undefined;
      const result = kind === "config" ? engine.lintConfig(input, settings) : engine.lintPython(input, settings, parser!, { configModelType, project: "defer", tree });
      if (result.status === "skipped") {
        this.host.log.debug(`${display}: skipped (${result.reason ?? "not linted"})`);
        return this.forget(uri);
      }
      const positions = new Positions(text);
      const publish = (findings: Finding[]) => {
        if (this.disposed || this.host.document(uri)?.version !== doc.version) return;
        const diags = findings.map((f) => toDiag(f, positions, { uri, docsUrl: this.ruleDoc }));
        this.docs.set(uri, { uri, version: doc.version, kind, positions, findings, diags, settings, display, module: "module" in result ? result.module : undefined });
        this.book.set(`doc:${uri}`, new Map([[uri, diags]]));
      };
      if (kind === "python" && "summary" in result) this.indexed(engine, uri, { ...place!, summary: result.summary, raw: result.findings, levels: engine.userLevels(settings), publish });
      else publish(result.findings);
      this.linted.add(uri);
      // Each run at debug (on type it is every pause); Lint Workspace's summary is at info.
      this.host.log.debug(`${display}: ${result.findings.length} findings in ${(performance.now() - t0).toFixed(1)} ms (${trigger})`);
      if (kind === "config" && !over) {
        // Checkpoints are re-read when something they depend on changed: not on every keystroke,
        // and not on a save or reopen of text they were already checked against.
        const folder = this.folders.get(dirname(uri));
        const unchanged = (trigger === "open" || trigger === "save") && folder?.configText === text;
        if (trigger === "type" || unchanged) this.reanchorFolder(uri, text);
        else await this.lintModelFolder(engine, uri, text, ext, () => !this.disposed && this.docs.has(uri));
      }
    });
  }

  /**
   * A tree of `text` for an open Python file: the kept tree told about the changes since, reparsed
   * with tree-sitter's reuse of unchanged parts, when its text comes out equal to `text`; else a
   * fresh parse. The tree is kept for the next change (lintPython does not delete a given tree).
   */
  private reparse(parser: PythonParser, uri: Uri, text: string): PythonTree {
    const kept = this.trees.get(uri);
    let previous: PythonTree | undefined;
    if (kept && !kept.broken) {
      let current: string | undefined = kept.tree.text;
      try {
        for (const c of kept.pending) current = current !== undefined && c.start <= c.end && c.end <= current.length ? parser.edit(kept.tree, c) : undefined;
      } catch {
        current = undefined;
      }
      if (current === text) previous = kept.tree;
    }
    const tree = parser.parse(text, previous);
    kept?.tree.delete();
    this.trees.set(uri, { tree, pending: [], broken: false });
    return tree;
  }

  private dropTree(uri: Uri): void {
    this.trees.get(uri)?.tree.delete();
    this.trees.delete(uri);
  }

  // The project index -----------------------------------------------------------------------------

  /** Records a Python file's or notebook's lint in the project index, which judges and publishes it. */
  private indexed(engine: Engine, uri: Uri, file: IndexedFile): void {
    this.projectIndex(engine).update(uri, file);
  }

  private projectIndex(engine: Engine): ProjectIndex {
    this.index ??= new ProjectIndex(
      engine,
      (root) => this.scheduler.run(`index:${root}`, () => this.buildProject(root)),
      (err, root) => this.recordError(err, `indexing ${this.host.displayPath(root)}`),
      (root) => {
        // A model folder's NL304 waits on, or depends on, the projects around the folder.
        for (const entry of this.folders.values()) {
          if (entry.code.some((c) => c.roots.includes(root))) this.publishFolder(entry, this.host.document(entry.configUri)?.text ?? entry.configText);
        }
      },
    );
    return this.index;
  }

  /** What a file shows now (its own findings and its folder's), for Lint Workspace's summary. */
  private shownFindings(uri: Uri): Finding[] {
    const nb = this.notebooks.get(uri);
    if (nb) return [...nb.cells.values()].flatMap((c) => c.findings);
    const known = this.disk.get(uri);
    if (known?.findings && uri.endsWith(".ipynb")) return known.findings;
    return this.book.merged(uri).map((d) => d.finding);
  }

  private listing(dir: Uri): Promise<Array<[string, string]>> {
    let l = this.listings.get(dir);
    if (!l) {
      l = this.host.readDirectory(dir).catch(() => []);
      this.listings.set(dir, l);
    }
    return l;
  }

  /**
   * Where a file sits: its project root (as the CLI finds it: the nearest folder, from the file's
   * upwards within its workspace folder, that holds a config.json or checkpoints, or a
   * pyproject.toml, setup.py, setup.cfg or .git; else the workspace folder) and whether checkpoints
   * sit beside it (then the folder rules compare the real keys).
   */
  private async placement(uri: Uri): Promise<{ root: Uri; beside: boolean }> {
    const engine = await this.engine();
    const beside = (await this.listing(dirname(uri))).some(([n]) => {
      const k = engine.targetKind(n);
      return k === "safetensors" || k === "gguf";
    });
    return { root: await this.rootFrom(dirname(uri)), beside };
  }

  /** The project root of a folder: itself or the nearest folder above it with a project marker or model files (see placement). */
  private async rootFrom(start: Uri): Promise<Uri> {
    const engine = await this.engine();
    const top = this.host.workspaceFolder(start);
    const kinds = (names: Array<[string, string]>) => names.map(([n]) => (n === "config.json" ? "config" : engine.targetKind(n)));
    let dir = start;
    for (;;) {
      const names = await this.listing(dir);
      const marked = names.some(([n]) => engine.PROJECT_MARKERS.includes(n)) || kinds(names).some((k) => k === "config" || k === "safetensors" || k === "gguf" || k === "pickle" || k === "index");
      const parent = dirname(dir);
      if (marked || !top || dir === top || parent === dir || !isInside(top, parent)) return marked || !top ? dir : top;
      dir = parent;
    }
  }

  /**
   * The projects a model folder's code may be loaded from, as the CLI walks them: the folder's own
   * root, then each enclosing root up to the first that holds a project marker (.git,
   * pyproject.toml...), within the workspace folder.
   */
  private async rootsAround(dir: Uri): Promise<Uri[]> {
    const engine = await this.engine();
    const top = this.host.workspaceFolder(dir);
    const out: Uri[] = [];
    let root = await this.rootFrom(dir);
    for (let hops = 0; hops < 16; hops++) {
      out.push(root);
      const up = dirname(root);
      if (!top || up === root || !isInside(top, up) || (await this.listing(root)).some(([n]) => engine.PROJECT_MARKERS.includes(n))) break;
      root = await this.rootFrom(up);
    }
    return out;
  }

  /**
   * The analyses of a model folder's Python files for the folder rules (NL304 compares their norm
   * parameter names with the checkpoint's keys): an open file as it is in its editor, a closed one
   * from disk within the size cap. Notebooks in a model folder are left to their own lint.
   */
  private async folderCode(engine: Engine, files: Array<{ location: string; path: string; kind: string }>, ext: ExtensionSettings): Promise<Array<{ uri: Uri; path: string; text: string; module: ModuleAnalysis }>> {
    const out: Array<{ uri: Uri; path: string; text: string; module: ModuleAnalysis }> = [];
    for (const f of files) {
      if (f.kind !== "python") continue;
      const uri = f.location as Uri;
      const open = this.docs.get(uri);
      const doc = this.host.document(uri);
      if (open?.module && doc && open.version === doc.version) {
        out.push({ uri, path: f.path, text: doc.text, module: open.module });
        continue;
      }
      const { settings, excluded } = await this.fileSettings(engine, uri, ext);
      if (excluded) continue;
      const input = doc ? { path: f.path, text: doc.text } : await (async () => {
        const read = await this.host.access.read(uri, settings.maxFileSize);
        return read.bytes ? { path: f.path, bytes: read.bytes, size: read.size } : undefined;
      })();
      if (!input) continue;
      const r = engine.lintPython(input, settings, await this.pythonParser(engine), { prefilter: true, project: "defer" });
      if ("module" in r && r.module) out.push({ uri, path: f.path, text: r.text, module: r.module });
    }
    return out;
  }

  /**
   * Summarises the files of a project that the index does not hold yet (the background build a
   * finding waits for): the same files the CLI would parse (those that mention norms or load
   * weights), one at a time, yielding between files so the editor stays responsive.
   */
  private async buildProject(root: Uri): Promise<void> {
    const engine = await this.engine();
    const top = this.host.workspaceFolder(root);
    if (!top) return;
    const rel = relativePath(top, root);
    const glob = `${rel ? `${engine.literalGlob(rel)}/` : ""}**/*.{py,ipynb}`;
    const uris = (await this.host.findFiles(glob, WORKSPACE_LIMIT)).filter((u) => isInside(root, u) && !SKIP_DIRS.test(relativePath(top, u))).sort();
    const t0 = performance.now();
    let summarised = 0;
    for (const uri of uris) {
      if (this.disposed) return;
      if (this.index?.has(uri)) continue;
      if (await this.indexFromDisk(engine, uri, root)) summarised++;
      await new Promise((r) => setTimeout(r, 0));
    }
    this.host.log.info(`project ${this.host.displayPath(root) || "."}: ${summarised} of ${uris.length} Python files and notebooks summarised in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  /** Indexes a closed file from its bytes on disk, for what it contributes to its project only. */
  private async indexFromDisk(engine: Engine, uri: Uri, root?: Uri): Promise<boolean> {
    const place = await this.placement(uri);
    if (root !== undefined && place.root !== root) return false; // a nested project of its own
    const ext = this.settings(uri);
    if (!ext.enable) return false;
    const { settings, excluded } = await this.fileSettings(engine, uri, ext);
    if (excluded) return false;
    const read = await this.host.access.read(uri, settings.maxFileSize);
    if (!read.bytes || this.host.document(uri) || this.host.notebook(uri)) return false;
    const input = { path: this.host.displayPath(uri), bytes: read.bytes, size: read.size };
    const parser = await this.pythonParser(engine);
    const r = uri.endsWith(".ipynb")
      ? engine.lintNotebook(input, settings, parser, { project: "defer" })
      : engine.lintPython(input, settings, parser, { prefilter: true, project: "defer", configModelType: await this.governingModelType(uri) });
    if (!r.summary) return false;
    this.index?.add(uri, { root: place.root, summary: r.summary, levels: engine.userLevels(settings), beside: place.beside });
    return true;
  }

  /**
   * A closed file's contribution comes from its disk content again: after its editor closed (the
   * index held its open text) or when it changed on disk. Files shown from disk (Lint Workspace)
   * are re-linted instead, which re-indexes them.
   */
  private reindexFromDisk(uri: Uri): void {
    const index = this.index;
    if (!index) return;
    index.unpublish(uri);
    this.scheduler.schedule(`idx:${uri}`, 0, async () => {
      const engine = await this.engine();
      const place = await this.placement(uri);
      if (index.isBuilt(place.root) && !this.host.document(uri) && !this.host.notebook(uri)) await this.indexFromDisk(engine, uri);
    });
  }

  /**
   * The model type of the config.json beside a file (open text first, else on disk): family
   * evidence for the code in a model folder, as the CLI passes it.
   */
  private async governingModelType(uri: Uri): Promise<string | undefined> {
    const configUri = joinUri(dirname(uri), "config.json");
    const open = this.host.document(configUri)?.text;
    const bytes = open === undefined ? (await this.host.access.read(configUri, 1024 * 1024)).bytes : undefined;
    const text = open ?? (bytes ? new TextDecoder().decode(bytes) : undefined);
    return text ? (await this.engine()).configModelType(text) : undefined;
  }

  async lintNotebook(uri: Uri, trigger: Trigger): Promise<void> {
    if (this.disposed) return;
    const first = this.host.notebook(uri);
    if (!first || first.notebookType !== NOTEBOOK_TYPE) return;
    const ext = this.settings(uri);
    const clear = () => {
      this.notebooks.delete(uri);
      this.book.clear(`doc:${uri}`);
    };
    // Loaded by Lint Workspace a moment ago (host.openNotebook), which lints it itself.
    const known = this.notebooks.get(uri);
    if (trigger === "open" && known && first.cells.every((c) => !isPythonCell(c) || known.cells.get(c.uri)?.version === c.version)) return;
    if (!ext.enable || !first.cells.some(isPythonCell)) return clear();
    await this.track(async () => {
      const engine = await this.engine();
      const { settings, excluded } = await this.fileSettings(engine, uri, ext);
      const parser = await this.pythonParser(engine);
      const place = await this.placement(uri);
      const current = this.host.notebook(uri);
      if (!current || this.disposed) return;
      if (excluded) return clear();
      // One copy of each cell's text for this lint.
      const nb = { ...current, cells: current.cells.map((c) => ({ ...c })) };
      const display = this.host.displayPath(uri);
      const size = notebookCodeSize(nb);
      const over = size > settings.maxFileSize;
      this.noteSize(uri, display, size, settings.maxFileSize, over);
      const result = engine.lintNotebook(over ? { path: display, size } : { path: display, text: notebookJson(nb), size }, settings, parser, { project: "defer" });
      for (const cell of nb.cells) this.cellOwner.set(cell.uri, uri);
      const publish = (all: Finding[]) => {
        if (this.disposed) return;
        const byCell = findingsByCell(nb, all);
        const entry: NotebookEntry = { uri, settings, display, module: result.module, starts: cellStarts(result.cells ?? []), cells: new Map() };
        const perUri = new Map<Uri, Diag[]>();
        for (const cell of nb.cells) {
          if (!isPythonCell(cell)) continue;
          const positions = new Positions(cell.text);
          const findings = byCell.get(cell.index) ?? [];
          const diags = findings.map((f) => toDiag(f, positions, { uri: cell.uri, docsUrl: this.ruleDoc }));
          entry.cells.set(cell.uri, { notebook: uri, index: cell.index, version: cell.version, positions, findings, diags });
          perUri.set(cell.uri, diags);
        }
        this.notebooks.set(uri, entry);
        this.book.set(`doc:${uri}`, perUri);
        // A closed notebook Lint Workspace loaded: what comes back when it closes again follows too.
        const known = this.disk.get(uri);
        if (known?.loaded) this.disk.set(uri, { ...known, perUri, findings: [...entry.cells.values()].flatMap((c) => c.findings) });
      };
      this.indexed(engine, uri, { ...place, summary: result.summary, raw: result.findings, levels: engine.userLevels(settings), publish });
      this.linted.add(uri);
      this.host.log.debug(`${display}: ${result.findings.length} findings in ${result.cells?.length ?? 0} cells (${trigger})`);
    });
  }

  private notebookOfCell(cell: Uri): Uri | undefined {
    if (schemeOf(cell) !== "vscode-notebook-cell") return undefined;
    return this.host.openNotebooks().find((nb) => nb.cells.some((c) => c.uri === cell))?.uri;
  }

  private noteSize(uri: Uri, display: string, size: number, cap: number, over: boolean): void {
    if (!over) {
      this.tooLarge.delete(uri);
      return;
    }
    const msg = `normlint skipped ${display} (${formatSize(size)}): it is over the ${formatSize(cap)} size cap (normlint.maxFileSize, or maxFileSize in .normlint.json).`;
    this.tooLarge.set(uri, display);
    this.host.log.info(msg);
    if (this.warnedTooLarge) return;
    this.warnedTooLarge = true;
    void this.host.showWarning(msg, "Open Settings").then((choice) => {
      if (choice === "Open Settings") this.host.openSettings("normlint.maxFileSize");
    });
  }

  // Model folders (checkpoints beside config.json) ------------------------------------------------

  private clearFolder(dir: Uri): void {
    this.folders.delete(dir);
    this.book.clear(`folder:${dir}`);
  }

  /**
   * Reads the checkpoints beside a config.json (headers, and norm weights up to the byte cap when
   * sampling is on) and publishes the folder rules' findings: those about the model on config.json,
   * with the checkpoint as related information; a broken checkpoint on the checkpoint itself.
   */
  private async lintModelFolder(engine: Engine, configUri: Uri, configText: string, ext: ExtensionSettings, wanted: () => boolean): Promise<void> {
    const dir = dirname(configUri);
    // VS Code's file system API has no ranged reads: checkpoints are read only from disk.
    if (schemeOf(dir) !== "file") return this.clearFolder(dir);
    // The reader the CLI and `verify` use, with the open document's text as config.json.
    let read: Awaited<ReturnType<Engine["readModelFolderInput"]>>;
    try {
      read = await engine.readModelFolderInput(dir, this.host.access, {
        display: (uri) => this.host.displayPath(uri),
        config: new TextEncoder().encode(configText),
        maxNormBytes: ext.weights.sampling === "off" ? 0 : ext.weights.maxBytes,
      });
    } catch (e) {
      // The folder went away or cannot be listed: no checkpoint to check against.
      this.host.log.warn(`${this.host.displayPath(dir)} was not listed: ${(e as Error).message}`);
      return this.clearFolder(dir);
    }
    try {
      const { input } = read;
      const named = [input.config!.path, ...(input.index ? [input.index.path] : []), ...(input.params ? [input.params.path] : []), ...[...input.safetensors, ...input.gguf].map((f) => f.path), ...input.pickles];
      // Python beside config.json is the folder's code even with no checkpoint: the eps and q/k norm
      // rules (NL218, NL219) judge it against config.json, as the CLI does.
      const hasCode = read.code.some((c) => c.kind === "python");
      if (named.length === 1 && !read.problems.length && !hasCode) return this.clearFolder(dir);
      for (const p of read.problems) this.host.log.warn(`${p.path} was not read: ${p.error}`);
      const byDisplay = new Map(named.map((d) => [d, read.locations.get(d)!]));
      const configPath = input.config!.path;
      const texts = new Map<Uri, Positions>([[configUri, new Positions(configText)]]);
      if (input.index) texts.set(byDisplay.get(input.index.path)!, new Positions(new TextDecoder().decode(input.index.bytes)));
      if (input.params) texts.set(byDisplay.get(input.params.path)!, new Positions(new TextDecoder().decode(input.params.bytes)));
      // The folder's modeling code, as the CLI passes it: NL304 compares its names with the checkpoint's keys.
      const code = hasCode ? await this.folderCode(engine, read.code, ext) : [];
      if (code.length) input.code = code.map(({ path, text, module }) => ({ path, text, module }));
      for (const c of code) {
        byDisplay.set(c.path, c.uri);
        texts.set(c.uri, new Positions(c.text));
      }
      // Every file here shares config.json's .normlint.json; only their relative paths differ.
      const perFile = new Map<string, FileSettings>();
      for (const [d, uri] of byDisplay) perFile.set(d, (await this.fileSettings(engine, uri, ext)).settings);
      const fallback = perFile.get(configPath)!;
      const { findings } = await engine.lintFolder(input, (file) => perFile.get(file) ?? fallback);
      // The document may have closed or changed while the checkpoints were read.
      if (!wanted()) return;
      const entry: FolderEntry = { dir, configUri, configText, anchored: [], other: new Map(), related: byDisplay, code: [] };
      const inFolder = new Set(code.map((c) => c.path));
      let roots: Uri[] | undefined;
      for (const f of findings) {
        const uri = byDisplay.get(f.file);
        if (!uri) continue;
        if (f.rule === "checkpoint-norm-keys-mismatch" && inFolder.has(f.file)) {
          // A loader elsewhere in the project may rename these keys: judged with the projects around the folder.
          roots ??= await this.rootsAround(dir);
          entry.code.push({ finding: f, uri, positions: texts.get(uri)!, roots, inFolder, levels: engine.userLevels(perFile.get(f.file) ?? fallback) });
          continue;
        }
        if (uri === configUri) {
          const pointer = engine.pointerAt(configText, f.start, f.end);
          const exact = engine.rangeAtPointer(configText, pointer, false);
          const key = !(exact && exact.start === f.start && exact.end === f.end) && !!engine.rangeAtPointer(configText, pointer, true);
          entry.anchored.push({ finding: f, pointer, key });
          continue;
        }
        const pos = texts.get(uri) ?? new Positions("");
        const list = entry.other.get(uri) ?? [];
        list.push(toDiag(f, pos, { uri, docsUrl: this.ruleDoc, uriOf: (file) => byDisplay.get(file), positionsOf: (u) => texts.get(u) }));
        entry.other.set(uri, list);
      }
      this.folders.set(dir, entry);
      // Anchored on the text as it is now: the user may have typed while the checkpoints were read.
      this.publishFolder(entry, this.host.document(configUri)?.text ?? configText);
      this.host.log.debug(`${input.dir}: ${findings.length} checkpoint findings (${named.length - 1} files; sampling ${ext.weights.sampling})`);
    } finally {
      await read.close();
    }
  }

  /** Typing in config.json moves its weight findings with their JSON keys instead of re-reading checkpoints. */
  private reanchorFolder(configUri: Uri, text: string): void {
    const entry = this.folders.get(dirname(configUri));
    if (entry) this.publishFolder(entry, text);
  }

  private publishFolder(entry: FolderEntry, configText: string): void {
    const engine = this.engineModule!;
    const pos = new Positions(configText);
    const diags = entry.anchored.map(({ finding, pointer, key }) => {
      const r = engine.rangeAtPointer(configText, pointer, key) ?? { start: 0, end: 0 };
      return toDiag({ ...finding, ...r }, pos, { uri: entry.configUri, docsUrl: this.ruleDoc, uriOf: (f) => entry.related.get(f) });
    });
    const byUri = new Map<Uri, Diag[]>([[entry.configUri, diags], ...entry.other]);
    for (const c of entry.code) {
      const f = this.judgeFolderCode(engine, c);
      if (!f) continue;
      byUri.set(c.uri, [...(byUri.get(c.uri) ?? []), toDiag(f, c.positions, { uri: c.uri, docsUrl: this.ruleDoc, uriOf: (file) => entry.related.get(file) })]);
    }
    this.book.set(`folder:${entry.dir}`, byUri);
  }

  /**
   * NL304 on a model folder's code against the projects around the folder, nearest first (as the
   * CLI judges it); held back while one of them is still being summarised, rather than shown on a guess.
   */
  private judgeFolderCode(engine: Engine, c: FolderCodeFinding): Finding | undefined {
    const index = this.projectIndex(engine);
    for (const root of c.roots) {
      const project = index.builtProject(root);
      if (!project) return undefined;
      const judged = engine.judgeFolderFinding(c.finding, project, (p) => c.inFolder.has(p), c.levels);
      if (judged !== c.finding) return judged;
    }
    return c.finding;
  }

  // Code actions ----------------------------------------------------------------------------------

  /** The current lint state of a document or cell, if its findings still match its text. */
  private current(uri: Uri): { positions: Positions; findings: Finding[]; diags: Diag[]; kind: "config" | "python" | "cell"; entry?: DocEntry } | undefined {
    const version = this.host.document(uri)?.version;
    const d = this.docs.get(uri);
    if (d) return d.version === version ? { positions: d.positions, findings: d.findings, diags: d.diags, kind: d.kind, entry: d } : undefined;
    const nbUri = this.cellOwner.get(uri);
    const cell = nbUri ? this.notebooks.get(nbUri)?.cells.get(uri) : undefined;
    if (cell) return cell.version === version ? { positions: cell.positions, findings: cell.findings, diags: cell.diags, kind: "cell" } : undefined;
    return undefined;
  }

  /**
   * Quick fixes for the findings under `range` (the engine's fixes, preferred when safe; "ignore
   * here" for config.json; the rule's documentation), and the fix-all action when asked for.
   */
  provideCodeActions(uri: Uri, range: Range, want: { quickfix: boolean; fixAll: boolean }): Action[] {
    const actions: Action[] = [];
    const state = want.quickfix ? this.current(uri) : undefined;
    if (state) {
      const folderDiags = state.kind === "config" ? this.book.get(`folder:${dirname(uri)}`, uri) : [];
      for (const diag of [...state.diags, ...folderDiags]) {
        if (!rangesTouch(diag.range, range)) continue;
        const f = diag.finding;
        for (const fix of f.fixes) {
          actions.push({ title: fix.title, kind: "quickfix", diagnostics: [diag], isPreferred: fix.safe, edit: { creates: [], edits: fixToEdits(fix, state.positions, uri) } });
        }
        // Weight findings are not filtered by ignore entries (they concern the whole folder).
        if (state.kind === "config" && state.entry && !folderDiags.includes(diag)) {
          const entry = state.entry;
          // The command runs after the resolved edit applies: it shows the file the edit went to.
          const show = { command: "normlint.showIgnoreFile", title: "Show .normlint.json", arguments: [] };
          actions.push({ title: `Ignore ${f.rule} here (in .normlint.json)`, kind: "quickfix", diagnostics: [diag], command: show, resolve: () => this.ignoreInConfig(uri, entry, f) });
        }
        actions.push({
          title: `Show documentation for ${f.code} ${f.rule}`,
          kind: "quickfix",
          diagnostics: [diag],
          command: { command: "normlint.explainRule", title: "Explain Rule", arguments: [f.rule] },
        });
      }
    }
    if (want.fixAll) {
      const fix = this.fixAllAction(uri);
      if (fix) actions.push(fix);
    }
    return actions;
  }

  /**
   * `source.fixAll.normlint`: the safe fixes of the document's current findings, computed without
   * awaiting anything, so a save never waits on normlint. When the findings are stale and the
   * engine is loaded, a synchronous lint of the current text supplies them.
   */
  private fixAllAction(uri: Uri): Action | undefined {
    const state = this.current(uri);
    let findings = state?.findings;
    let positions = state?.positions;
    if (!findings) {
      const doc = this.host.document(uri);
      const entry = this.docs.get(uri);
      const engine = this.engineModule;
      if (!doc || !entry || !engine || utf8Length(doc.text) > entry.settings.maxFileSize) return undefined;
      const input = { path: entry.display, text: doc.text };
      if (entry.kind === "config") findings = engine.lintConfig(input, entry.settings).findings;
      else if (this.parser) findings = engine.lintPython(input, entry.settings, this.parser).findings;
      else return undefined;
      positions = new Positions(doc.text);
    }
    const edits = safeEdits(findings);
    if (!edits.length || !positions) return undefined;
    const pos = positions;
    return {
      title: "Fix all safe normlint problems",
      kind: "source.fixAll.normlint",
      diagnostics: [],
      edit: { creates: [], edits: edits.map((e) => ({ uri, range: pos.range(e.start, e.end), newText: e.text })) },
    };
  }

  /** The edit that ignores one finding's rule at its JSON pointer in the nearest .normlint.json. */
  private async ignoreInConfig(uri: Uri, entry: DocEntry, f: Finding): Promise<WorkspaceEditSpec | undefined> {
    const engine = await this.engine();
    const config = await this.resolver!.forFile(uri);
    const root = this.host.workspaceFolder(uri) ?? dirname(uri);
    const configUri = config?.uri ?? joinUri(root, CONFIG_FILE);
    const rel = relativePath(dirname(configUri), uri);
    if (rel.includes("#")) {
      this.host.showWarning(`normlint cannot write an ignore entry for a path with '#': ${rel}`);
      return undefined;
    }
    const pointer = engine.pointerAt(entry.positions.text, f.start, f.end);
    const target = `${engine.literalGlob(rel)}#${pointer}`;
    const existing = config ? await this.readText(configUri) : undefined;
    this.lastIgnoreFile = configUri;
    if (existing === undefined) {
      return { creates: [configUri], edits: [{ uri: configUri, range: ZERO_RANGE, newText: engine.newConfigText(target, f.rule) }] };
    }
    const edits = engine.addIgnoreEdits(existing, target, f.rule);
    if (!edits) {
      this.host.showWarning(`normlint cannot edit ${this.host.displayPath(configUri)}: its top level is not an object with an "ignore" list.`);
      return undefined;
    }
    const pos = new Positions(existing);
    return { creates: [], edits: edits.map((e) => ({ uri: configUri, range: pos.range(e.start, e.end), newText: e.text })) };
  }

  // Hovers ----------------------------------------------------------------------------------------

  async provideHover(uri: Uri, at: Position): Promise<{ markdown: string; range: Range } | undefined> {
    const doc = this.host.document(uri);
    if (!doc) return undefined;
    const kind = documentKind(doc);
    const nbUri = this.cellOwner.get(uri);
    if (kind === "config") {
      if (!this.docs.has(uri)) return undefined; // not a model config (or not linted yet)
      const engine = await this.engine();
      const pos = new Positions(doc.text);
      const h = engine.configHover(doc.text, pos.offset(at));
      return h && { markdown: h.markdown, range: pos.range(h.start, h.end) };
    }
    if (kind === "python") {
      const entry = this.docs.get(uri);
      const engine = this.engineModule;
      if (!entry || !engine) return undefined;
      let module = entry.module;
      if (entry.version !== doc.version) {
        if (!this.parser || utf8Length(doc.text) > entry.settings.maxFileSize) return undefined;
        module = engine.lintPython({ path: entry.display, text: doc.text }, entry.settings, this.parser).module;
      }
      if (!module) return undefined;
      const pos = new Positions(doc.text);
      const h = engine.pythonHover(module, pos.offset(at));
      return h && { markdown: h.markdown, range: pos.range(h.start, h.end) };
    }
    if (nbUri) {
      const nb = this.notebooks.get(nbUri);
      const cell = nb?.cells.get(uri);
      const engine = this.engineModule;
      if (!nb?.module || !cell || !engine || cell.version !== doc.version) return undefined;
      const base = nb.starts.get(cell.index);
      if (base === undefined) return undefined;
      const h = engine.pythonHover(nb.module, base + cell.positions.offset(at));
      if (!h || h.start < base) return undefined;
      return { markdown: h.markdown, range: cell.positions.range(h.start - base, h.end - base) };
    }
    return undefined;
  }

  // Commands --------------------------------------------------------------------------------------

  /** Lints every config.json, Python file and notebook in the workspace, with progress and a summary. */
  async lintWorkspace(): Promise<void> {
    if (!this.host.workspaceFolders().length) {
      this.host.showInfo("normlint: open a folder to lint a workspace.");
      return;
    }
    const engine = await this.engine();
    const tally = { files: 0, errors: 0, warnings: 0, infos: 0 };
    const count = (findings: Finding[]) => {
      for (const f of findings) tally[f.severity === "error" ? "errors" : f.severity === "warning" ? "warnings" : "infos"]++;
    };
    const t0 = performance.now();
    let failed = 0;
    // The walk indexes every Python file and notebook it lints: findings that depend on the
    // project are judged once it is done, against the whole of it.
    const index = this.projectIndex(engine);
    const covered: Uri[] = [];
    index.beginBulk();
    // The progress counts the files it walks ("3 of 40"), and the summary counts the same ones, so
    // the two agree; of those, the summary says how many held something to lint.
    let run: { cancelled: boolean; total: number; done: number } | undefined;
    try {
      run = await this.host.withProgress("normlint: linting the workspace", async (progress) => {
      const found = await Promise.all(["**/config.json", "**/*.py", "**/*.ipynb"].map((g) => this.host.findFiles(g, WORKSPACE_LIMIT)));
      const uris = [...new Set(found.flat())].filter((u) => !SKIP_DIRS.test(relativePath(this.host.workspaceFolder(u) ?? dirname(u), u))).sort();
      let done = 0;
      for (const uri of uris) {
        if (progress.cancelled) return { cancelled: true, total: uris.length, done };
        progress.report(`${done + 1} of ${uris.length} files: ${this.host.displayPath(uri)}`, 100 / uris.length);
        try {
          if (await this.lintAny(engine, uri)) covered.push(uri);
        } catch (err) {
          failed++;
          this.recordError(err, `linting ${this.host.displayPath(uri)}`);
        }
        done++;
      }
      return { cancelled: false, total: uris.length, done };
    });
    } finally {
      // A cancelled walk did not see whole projects: they are built in the background instead.
      index.endBulk(run && !run.cancelled ? index.rootsOf(covered) : []);
    }
    const { cancelled, total, done } = run;
    for (const uri of covered) {
      count(this.shownFindings(uri));
      // Linted, not skipped (a closed .py that mentions no norm is not parsed): the status item's count.
      if (this.linted.has(uri)) tally.files++;
    }
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    const walked = cancelled ? `cancelled after ${done} of ${total} files` : `${plural(total, "file")} checked`;
    const linted = tally.files === done ? "" : ` (${tally.files} linted; the others hold no model config, norm code or notebook)`;
    const summary = `normlint: ${walked} in ${secs} s${linted}: ${plural(tally.errors, "error")}, ${plural(tally.warnings, "warning")}, ${plural(tally.infos, "info")}${failed ? `; ${plural(failed, "file")} failed (see the output)` : ""}.`;
    if (failed) this.host.log.warn(summary);
    else this.host.log.info(summary);
    // The status item's "N files linted" counts the same files as this summary.
    this.updateStatus();
    const findings = tally.errors + tally.warnings + tally.infos;
    const choice = await this.host.showInfo(summary, ...(findings ? ["Show Problems"] : []), ...(failed ? ["Show Output"] : []));
    if (choice === "Show Problems") this.host.panels?.showProblems();
    else if (choice === "Show Output") this.host.showOutput();
  }

  /**
   * Lints one file for Lint Workspace: through its editor when open, from disk otherwise; either way
   * the file joins the set whose disk findings come back when it is closed. Returns its findings.
   */
  private async lintAny(engine: Engine, uri: Uri): Promise<Finding[] | undefined> {
    if (!this.disk.has(uri)) this.disk.set(uri, {});
    const nb = this.host.notebook(uri);
    if (nb) {
      await this.scheduler.run(`nb:${uri}`, () => this.lintNotebook(uri, "command"));
      const entry = this.notebooks.get(uri);
      return entry ? [...entry.cells.values()].flatMap((c) => c.findings) : undefined;
    }
    if (this.host.document(uri)) {
      await this.scheduler.run(`doc:${uri}`, () => this.lintDocument(uri, "command"));
      const entry = this.docs.get(uri);
      return entry ? [...entry.findings, ...this.book.merged(uri).filter((d) => !entry.diags.includes(d)).map((d) => d.finding)] : undefined;
    }
    let findings: Finding[] | undefined;
    const key = `${uri.endsWith(".ipynb") ? "nb" : "doc"}:${uri}`;
    await this.scheduler.run(key, async () => void (findings = await this.lintFromDisk(engine, uri)));
    return findings;
  }

  /**
   * Lints a file from its bytes on disk and publishes the result as the file's diagnostics (replacing
   * what its open editor showed, if it just closed). A file that is open (again) keeps its own.
   */
  private async lintFromDisk(engine: Engine, uri: Uri): Promise<Finding[] | undefined> {
    const name = basename(uri);
    const kind = name === "config.json" ? "config" : name.endsWith(".ipynb") ? "notebook" : name.endsWith(".py") ? "python" : undefined;
    if (!kind || this.disposed) return undefined;
    const owner = `doc:${uri}`;
    // Opened meanwhile (its own text wins), or the extension is going away.
    const superseded = () => this.disposed || !!this.host.document(uri) || !!this.host.notebook(uri);
    const drop = () => {
      if (superseded()) return undefined;
      this.book.clear(owner);
      if (kind === "config") this.clearFolder(dirname(uri));
      return undefined;
    };
    const ext = this.settings(uri);
    if (!ext.enable) return drop();
    const { settings, excluded } = await this.fileSettings(engine, uri, ext);
    if (excluded) return drop();
    if (kind === "notebook") return this.notebookFromDisk(engine, uri, settings);
    const read = await this.host.access.read(uri, settings.maxFileSize);
    if (read.error) {
      this.host.log.warn(`${this.host.displayPath(uri)} was not read: ${read.error}`);
      return drop();
    }
    const input = { path: this.host.displayPath(uri), bytes: read.bytes, size: read.size };
    // In bulk, a closed Python file that mentions no norm is not parsed (as in the CLI): it could
    // hold no norm finding, only a syntax-error note; opening it lints it in full.
    const place = kind === "python" ? await this.placement(uri) : undefined;
    const r = kind === "config" ? engine.lintConfig(input, settings) : engine.lintPython(input, settings, await this.pythonParser(engine), { prefilter: true, configModelType: await this.governingModelType(uri), project: "defer" });
    if (superseded()) return undefined;
    if (r.status === "skipped") {
      // Not parsed (no norm text): it still counts for the attributes it uses.
      if (place && "summary" in r && r.summary) {
        this.index?.unpublish(uri);
        this.projectIndex(engine).add(uri, { ...place, summary: r.summary, levels: engine.userLevels(settings) });
      }
      return drop();
    }
    const pos = new Positions(r.text);
    let shown = r.findings;
    const publish = (findings: Finding[]) => {
      if (superseded()) return;
      shown = findings;
      this.book.set(owner, new Map([[uri, findings.map((f) => toDiag(f, pos, { uri, docsUrl: this.ruleDoc }))]]));
    };
    if (place && "summary" in r) this.indexed(engine, uri, { ...place, summary: r.summary, raw: r.findings, levels: engine.userLevels(settings), publish });
    else publish(r.findings);
    this.linted.add(uri);
    if (kind === "config" && read.bytes) {
      // The checkpoints are read again only when the config's text differs from what they were checked against.
      const folder = this.folders.get(dirname(uri));
      if (folder?.configText === r.text) this.publishFolder(folder, r.text);
      else await this.lintModelFolder(engine, uri, r.text, ext, () => !superseded());
    }
    return shown;
  }

  /**
   * A closed notebook from disk: loaded through the host so its findings go on its cells (and the
   * Problems entry opens the cell), or, when it cannot be loaded, mapped into the .ipynb text. The
   * result is kept with the file's version, so a notebook that closes unchanged gets it back as is.
   */
  private async notebookFromDisk(engine: Engine, uri: Uri, settings: FileSettings): Promise<Finding[] | undefined> {
    const owner = `doc:${uri}`;
    const st = await this.host.stat(uri);
    if (!st || st.type !== "file") {
      this.book.clear(owner);
      return undefined;
    }
    const stamp = `${st.size}:${st.mtime}`;
    const known = this.disk.get(uri);
    if (known?.perUri && known.stamp === stamp) {
      this.book.set(owner, known.perUri);
      return known.findings;
    }
    let findings: Finding[] | undefined;
    let loaded = false;
    if (await this.host.openNotebook(uri)) {
      loaded = true;
      await this.lintNotebook(uri, "files");
      const entry = this.notebooks.get(uri);
      findings = entry && [...entry.cells.values()].flatMap((c) => c.findings);
    } else {
      const read = await this.host.access.read(uri, settings.maxFileSize);
      if (read.error) {
        this.host.log.warn(`${this.host.displayPath(uri)} was not read: ${read.error}`);
        this.book.clear(owner);
        return undefined;
      }
      const place = await this.placement(uri);
      const r = engine.lintNotebook({ path: this.host.displayPath(uri), bytes: read.bytes, size: read.size }, settings, await this.pythonParser(engine), { project: "defer" });
      if (this.host.notebook(uri)) return undefined;
      if (r.status === "skipped") {
        this.index?.remove(uri);
        this.book.clear(owner);
        return undefined;
      }
      const toNotebook = engine.notebookMapper(r.text);
      const pos = new Positions(r.text);
      const publish = (judged: Finding[]) => {
        if (this.disposed || this.host.notebook(uri)) return;
        findings = judged.map(toNotebook);
        this.book.set(owner, new Map([[uri, findings.map((f) => toDiag(f, pos, { uri, docsUrl: this.ruleDoc }))]]));
        const known = this.disk.get(uri);
        if (known?.perUri && !known.loaded) this.disk.set(uri, { ...known, perUri: this.book.share(owner), findings });
      };
      this.indexed(engine, uri, { ...place, summary: r.summary, raw: r.findings, levels: engine.userLevels(settings), publish });
      this.linted.add(uri);
    }
    this.disk.set(uri, { stamp, perUri: this.book.share(owner), findings, loaded });
    return findings;
  }

  /** Applies every safe fix to the active document (re-linting between passes, as `normlint --fix` does). */
  async fixAllInFile(): Promise<void> {
    const uri = this.host.activeDocument();
    const doc = uri ? this.host.document(uri) : undefined;
    if (!uri || !doc) {
      this.host.showInfo("normlint: open a config.json, Python file or notebook to fix.");
      return;
    }
    const nbUri = this.cellOwner.get(uri);
    if (nbUri) {
      // Notebook: each cell's safe fixes (single pass; the next lint offers anything left).
      const nb = this.notebooks.get(nbUri);
      const edits = [...(nb?.cells.entries() ?? [])].flatMap(([cellUri, c]) =>
        this.host.document(cellUri)?.version === c.version ? safeEdits(c.findings).map((e) => ({ uri: cellUri, range: c.positions.range(e.start, e.end), newText: e.text })) : [],
      );
      if (edits.length) await this.host.applyEdit({ creates: [], edits });
      else this.host.showInfo("normlint: nothing to fix safely in this notebook.");
      return;
    }
    const kind = documentKind(doc);
    if (kind !== "config" && kind !== "python") {
      this.host.showInfo("normlint: this file is not one normlint lints.");
      return;
    }
    const engine = await this.engine();
    const ext = this.settings(uri);
    const { settings } = await this.fileSettings(engine, uri, ext);
    const current = this.host.document(uri)!;
    const input = { path: this.host.displayPath(uri), text: current.text };
    const fixed = kind === "config" ? engine.fixConfigText(input, settings) : engine.fixPythonText(input, settings, await this.pythonParser(engine));
    const edit = fixed === undefined ? undefined : minimalEdit(current.text, fixed);
    if (!edit) {
      this.host.showInfo("normlint: nothing to fix safely in this file.");
      return;
    }
    if (this.host.document(uri)?.version !== current.version) return; // the user typed meanwhile; run it again
    const pos = new Positions(current.text);
    await this.host.applyEdit({ creates: [], edits: [{ uri, range: pos.range(edit.start, edit.end), newText: edit.text }] });
  }

  /** Shows a rule's documentation page; without an argument, asks which rule. */
  async explainRule(id?: string): Promise<void> {
    const engine = await this.engine();
    let name = id ? engine.ruleInfo(id)?.name : undefined;
    if (!name) {
      name = await this.host.quickPick(
        engine.RULES.map((r) => ({ label: `${r.code} ${r.name}`, description: `${r.severity}${r.fix === "safe" ? ", safe fix" : r.fix === "unsafe" ? ", suggested fix" : ""}`, detail: r.summary, value: r.name })),
        "Which rule? (type a name or code)",
      );
    }
    if (!name) return;
    const info = engine.ruleInfo(name)!;
    await this.host.showMarkdown(info.name, engine.rulePage(info.name, info.docs));
  }

  /**
   * Opens the Norm Lab on a model folder: the one given (the explorer's context menu passes a
   * URI), else the active file's folder when it can run (a config.json beside safetensors weights,
   * or a GGUF file), else one picked from the workspace's folders that can run: a folder without
   * weights would only end in an error, so the picker does not offer it.
   */
  async openNormLab(arg?: unknown): Promise<void> {
    const given = typeof arg === "string" ? arg : arg && typeof arg === "object" && "scheme" in arg ? String(arg) : undefined;
    // A Hub check's document (its editor title button) or a Hub folder: that repository, at its commit.
    const remote = given?.startsWith("hf://") ? given : given && hubLocationOf(given) && dirname(hubLocationOf(given)!);
    if (remote) return (await this.normLab()).createOrShow(remote);
    if (!given && this.host.activeDocument() && hubLocationOf(this.host.activeDocument()!)) return (await this.normLab()).createOrShow(dirname(hubLocationOf(this.host.activeDocument()!)!));
    let folder = given && (await this.host.stat(given))?.type === "file" ? dirname(given) : given;
    const [configs, weights, ggufs] = folder ? [[], [], []] : await Promise.all(["**/config.json", "**/*.safetensors", "**/*.gguf"].map((g) => this.host.findFiles(g, 500)));
    const withConfig = new Set(configs.map((c) => dirname(c)));
    const runnable = [...new Set([...weights.map((w) => dirname(w)).filter((d) => withConfig.has(d)), ...ggufs.map((g) => dirname(g))])].sort();
    const active = this.host.activeDocument();
    if (!folder && active && runnable.includes(dirname(active))) folder = dirname(active);
    if (!folder) {
      if (!runnable.length) {
        this.host.showInfo("normlint: the Norm Lab needs a model folder with weights (a config.json beside *.safetensors files, or a GGUF file); this workspace has none.");
        return;
      }
      folder = runnable.length === 1 ? runnable[0] : await this.host.quickPick(runnable.map((d) => ({ label: this.host.displayPath(d), value: d })), "Model folder for the Norm Lab");
      if (!folder) return;
    }
    (await this.normLab()).createOrShow(folder);
  }

  /** The Norm Lab of a panel VS Code restored after a reload (the host's serializer calls this). */
  async reviveNormLab(panel: PanelHandle, state: unknown): Promise<void> {
    (await this.normLab()).revive(panel, state);
  }

  /** The panel module, imported on first use (like the engine). */
  private async normLab(): Promise<import("./norm-lab").NormLab> {
    if (!this.lab) {
      const { NormLab } = await import("./norm-lab");
      this.lab ??= new NormLab(this.host, async () => this.pythonParser(await this.engine()), async (folder) => (await this.hub()).remote(folder));
    }
    return this.lab;
  }

  /** The Hub check module, imported on first use (like the Norm Lab). */
  private async hub(): Promise<import("./hub-check").HubCheck> {
    if (!this.hubCheck) {
      const { HubCheck } = await import("./hub-check");
      this.hubCheck ??= new HubCheck({
        host: this.host,
        engine: () => this.engine(),
        settings: () => this.settings(undefined),
        docs: this.hubDocuments,
        publish: (owner, byUri) => this.book.set(owner, byUri),
        docsUrl: this.ruleDoc,
        parser: async () => this.pythonParser(await this.engine()),
        openLab: (folder) => void this.normLab().then((lab) => lab.createOrShow(folder)),
        open: this.hubOpen,
      });
    }
    return this.hubCheck;
  }

  async copyDebugInfo(): Promise<void> {
    const text = await this.debugInfo();
    await this.host.copyToClipboard(text);
    this.host.showInfo("normlint: debug info copied to the clipboard.");
    this.host.log.info(text);
  }

  async debugInfo(): Promise<string> {
    const engine = this.engineModule;
    const folders = await Promise.all(
      this.host.workspaceFolders().map(async (uri) => {
        let config: string | undefined;
        if (this.resolver) {
          const c = await this.resolver.forFile(joinUri(uri, "config.json"));
          config = c ? this.host.displayPath(c.uri) : undefined;
        }
        return { uri, config: config ?? (this.resolver ? undefined : "(engine not loaded)"), settings: this.settings(uri) };
      }),
    );
    const meta = engine?.knowledgeMeta.base as { version?: string; commit?: string } | undefined;
    return debugInfoText({
      versions: { ...this.host.versions, node: process.version, platform: `${process.platform}-${process.arch}` },
      engine: engine && { rules: engine.RULES.length, families: engine.modelTypes().length, knowledge: `transformers ${meta?.version ?? "?"} @ ${meta?.commit?.slice(0, 8) ?? "?"}` },
      activationMs: this.activationMs,
      engineLoadMs: this.engineLoadMs,
      parserLoaded: this.parser !== undefined,
      virtual: this.host.isVirtualWorkspace,
      folders,
      windowSettings: this.settings(undefined),
      stats: this.stats(),
    });
  }

  // Status and errors -----------------------------------------------------------------------------

  private stats() {
    return {
      filesLinted: this.linted.size,
      busy: this.busy,
      tooLarge: [...this.tooLarge.values()],
      configProblems: [...this.configProblems.values()],
      lastError: this.lastError,
      virtual: this.host.isVirtualWorkspace,
    };
  }

  updateStatus(): void {
    if (!this.disposed) this.host.setStatus(statusView(this.stats()));
  }

  recordError(err: unknown, context: string): void {
    const e = err instanceof Error ? err : new Error(String(err));
    this.lastError = { message: e.message, stack: e.stack, context, time: new Date() };
    this.host.log.error(`${context}: ${e.stack ?? e.message}`);
    this.updateStatus();
    if (this.warnedError) return;
    this.warnedError = true;
    void this.host.showWarning(`normlint failed while ${context}: ${e.message}`, "Show Output").then((choice) => {
      if (choice === "Show Output") this.host.showOutput();
    });
  }
}

const ZERO_RANGE: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

function formatSize(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
