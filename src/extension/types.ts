// Plain data the extension layer passes around, and the Host interface: everything the controller
// needs from VS Code, as plain functions. host.ts implements it with the vscode API; tests implement
// it with a fake. Nothing here imports `vscode`.
import type { Finding, Severity } from "../engine/types";
import type { FileAccess } from "../node/access";

/** A URI as `vscode.Uri.toString()` spells it. */
export type Uri = string;

/** 0-based line and UTF-16 character, as VS Code counts them. */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface RelatedInfo {
  uri: Uri;
  range: Range;
  message: string;
}

/** A diagnostic as plain data; host.ts turns it into a vscode.Diagnostic. */
export interface Diag {
  range: Range;
  message: string;
  severity: Severity;
  source: "normlint";
  code: { value: string; target: string };
  related: RelatedInfo[];
  /** "unnecessary" fades the text (an unused suppression). */
  tags: Array<"unnecessary">;
  /** The finding it came from (code actions read its fixes). */
  finding: Finding;
}

export interface Edit {
  uri: Uri;
  range: Range;
  newText: string;
}

export interface WorkspaceEditSpec {
  /** Files to create (empty) before the edits apply; an existing file is left alone. */
  creates: Uri[];
  edits: Edit[];
}

export type ActionKind = "quickfix" | "source.fixAll.normlint";

/** A code action as plain data. `resolve` computes the edit only when the user picks it. */
export interface Action {
  title: string;
  kind: ActionKind;
  diagnostics: Diag[];
  isPreferred?: boolean;
  edit?: WorkspaceEditSpec;
  command?: { command: string; title: string; arguments: unknown[] };
  resolve?: () => Promise<WorkspaceEditSpec | undefined>;
}

/** An open text document. */
export interface DocumentSnapshot {
  uri: Uri;
  version: number;
  languageId: string;
  text: string;
}

export interface CellSnapshot {
  index: number;
  uri: Uri;
  /** The cell document's version. */
  version: number;
  kind: "code" | "markup";
  languageId: string;
  text: string;
}

export interface NotebookSnapshot {
  uri: Uri;
  version: number;
  notebookType: string;
  cells: CellSnapshot[];
}

export interface FileStat {
  type: "file" | "directory" | "other";
  size: number;
  mtime: number;
}

/** Random access to a checkpoint's bytes; closed after use. */
export interface ClosableSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface ProgressReporter {
  report(message: string, increment?: number): void;
  readonly cancelled: boolean;
  /** Aborted when the user cancels (for network reads, which take an AbortSignal). */
  readonly signal: AbortSignal;
}

/** An input box; `validate` runs on every keystroke and returns why the text is not accepted yet. */
export interface InputBoxOptions {
  title: string;
  prompt: string;
  placeHolder?: string;
  value?: string;
  validate?(text: string): string | undefined;
}

/**
 * A model folder that is not in the workspace (a Hub repository at a pinned commit): its files
 * through their own FileAccess, and what reading them cost, for the Norm Lab.
 */
export interface RemoteModel {
  /** The folder's location for `access` (`hf://owner/repo@commit[/subfolder]`). */
  dir: string;
  /** How the Norm Lab names it. */
  label: string;
  /** The repository's page at that commit (shown as text, never loaded by the webview). */
  url: string;
  access: FileAccess;
  /** Requests and bytes fetched by the repository so far; bytes and reads the Norm Lab's own reads asked for. */
  stats(): { requests: number; bytes: number; cachedReads: number; retries: number; bytesRead: number; reads: number };
  /** The read-only document of one of its files (the Norm Lab's link to a finding). */
  docUri(location: string): Uri;
  /** The first failed read (network, budget, a gated file): what was read after it is not to be shown. */
  failure(): Error | undefined;
}

export interface QuickPickItem<T> {
  label: string;
  description?: string;
  detail?: string;
  value: T;
}

export interface StatusView {
  text: string;
  detail: string;
  severity: "info" | "warning" | "error";
  busy: boolean;
}

/** A webview panel as the Norm Lab uses it (host.ts wraps vscode.WebviewPanel). */
export interface PanelHandle {
  html: string;
  readonly cspSource: string;
  /** The webview URI of a file under the extension's dist/webview folder. */
  asWebviewUri(relative: string): string;
  postMessage(message: unknown): Promise<boolean>;
  onMessage(cb: (message: unknown) => void): void;
  onDispose(cb: () => void): void;
  reveal(): void;
  dispose(): void;
}

/** Webview panels: created with localResourceRoots limited to dist/webview, scripts enabled. */
export interface PanelHost {
  create(viewType: string, title: string): PanelHandle;
  /** Focuses the Problems view (the Norm Lab's link back to the diagnostics). */
  showProblems(): void;
  /**
   * Opens normlint's finding with rule `code` in a file under `folder` in the editor, with its hover
   * (message and quick fixes). When none is known yet, opens `folder`'s config.json first, which
   * lints it, and waits briefly. False when there is no such finding.
   */
  showFinding(folder: Uri, code: string): Promise<boolean>;
}

/** Everything the controller asks of VS Code. */
export interface Host {
  /** Raw `normlint.*` settings for a resource (a scope uri) or the window. */
  settings(scope: Uri | undefined): (key: string) => unknown;
  /** The workspace folder holding a uri, if any. */
  workspaceFolder(uri: Uri): Uri | undefined;
  workspaceFolders(): Uri[];
  /** Path for messages: relative to the workspace folder (prefixed with its name when there are several). */
  displayPath(uri: Uri): string;

  openDocuments(): DocumentSnapshot[];
  document(uri: Uri): DocumentSnapshot | undefined;
  openNotebooks(): NotebookSnapshot[];
  notebook(uri: Uri): NotebookSnapshot | undefined;
  /**
   * Loads a notebook without showing it (vscode.workspace.openNotebookDocument), so that findings in a
   * closed notebook can go on its cells; undefined when it cannot be loaded. The editor may close it
   * again at any time (an onNotebookClose follows).
   */
  openNotebook(uri: Uri): Promise<NotebookSnapshot | undefined>;
  /** The document of the focused text editor (a cell's uri in a notebook editor). */
  activeDocument(): Uri | undefined;

  /**
   * Files by URI for the model-folder reader and closed-file lints (src/node/folder.ts): on disk
   * (file: URIs) the Node reader's guarantees (regular files only, caps, no blocking open), in a
   * virtual workspace the editor's file system (no ranged reads there).
   */
  readonly access: FileAccess;
  readFile(uri: Uri): Promise<Uint8Array | undefined>;
  stat(uri: Uri): Promise<FileStat | undefined>;
  readDirectory(uri: Uri): Promise<Array<[string, FileStat["type"]]>>;
  /** Ranged reads (file: URIs only: VS Code's file system API has no ranged read). */
  openSource(uri: Uri): Promise<ClosableSource | undefined>;
  /** Workspace files matching a glob (files.exclude applies), at most `max`. */
  findFiles(include: string, max: number): Promise<Uri[]>;

  setDiagnostics(uri: Uri, diags: Diag[]): void;
  applyEdit(edit: WorkspaceEditSpec): Promise<boolean>;

  log: {
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
    debug(message: string): void;
  };
  showWarning(message: string, ...actions: string[]): Promise<string | undefined>;
  /** Opens a file in an editor tab. */
  showFile(uri: Uri): Promise<void>;
  /** An information message with optional buttons; resolves to the one clicked. */
  showInfo(message: string, ...actions: string[]): Promise<string | undefined>;
  showOutput(): void;
  setStatus(view: StatusView): void;
  withProgress<T>(title: string, task: (progress: ProgressReporter) => Promise<T>): Promise<T>;
  /** Asks for a line of text; undefined when the user dismissed the box. */
  inputBox(options: InputBoxOptions): Promise<string | undefined>;
  quickPick<T>(items: Array<QuickPickItem<T>>, placeholder: string): Promise<T | undefined>;
  /** Shows a markdown page (a virtual document) in the markdown preview. */
  showMarkdown(name: string, markdown: string): Promise<void>;
  copyToClipboard(text: string): Promise<void>;
  openSettings(query: string): void;

  /** Where the bundle and its wasm files are. */
  readonly extensionDir: string;
  /** The URI of a rule's page bundled with the extension (docs/rules/<name>.md), for diagnostic code links. */
  ruleDocUri(rule: string): Uri;
  readonly versions: { extension: string; vscode: string };
  readonly isVirtualWorkspace: boolean;
  /** Webview panels (absent in tests that do not need them). */
  readonly panels?: PanelHost;
}
