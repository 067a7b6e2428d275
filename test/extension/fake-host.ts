// An in-memory Host: open documents and notebooks, a file system of bytes, and everything the
// controller publishes (diagnostics, messages, status, applied edits), for tests without VS Code.
import picomatch from "picomatch";
import { bytesSource } from "../../src/engine/io";
import type { ClosableSource, Diag, DocumentSnapshot, FileStat, Host, InputBoxOptions, NotebookSnapshot, PanelHandle, ProgressReporter, QuickPickItem, StatusView, Uri, WorkspaceEditSpec } from "../../src/extension/types";
import { Positions } from "../../src/extension/translate";
import { decodedPath, isInside, joinUri, relativePath } from "../../src/extension/uri";
import type { FileAccess } from "../../src/node/access";
import { join } from "node:path";

export const ROOT = "file:///ws";

export class FakeHost implements Host {
  readonly docs = new Map<Uri, DocumentSnapshot>();
  readonly notebooks = new Map<Uri, NotebookSnapshot>();
  readonly files = new Map<Uri, Uint8Array>();
  readonly diagnostics = new Map<Uri, Diag[]>();
  readonly logs: string[] = [];
  readonly warnings: string[] = [];
  readonly infos: string[] = [];
  readonly edits: WorkspaceEditSpec[] = [];
  readonly markdown: Array<{ name: string; markdown: string }> = [];
  readonly clipboard: string[] = [];
  readonly settingsByScope = new Map<string, Record<string, unknown>>();
  readonly stamps = new Map<Uri, number>();
  /** Notebooks loaded through openNotebook (Lint Workspace on a closed notebook). */
  readonly loaded: Uri[] = [];
  status: StatusView | undefined;
  folders: Uri[] = [ROOT];
  active: Uri | undefined;
  pick: ((items: Array<QuickPickItem<unknown>>) => unknown) | undefined;
  cancelAfter = Infinity;
  opened = 0;
  totalOpened = 0;
  readonly extensionDir = join(__dirname, "..", "..");
  ruleDocUri = (rule: string) => `file:///ext/docs/rules/${rule}.md`;
  readonly versions = { extension: "0.1.0", vscode: "1.90.0" };
  isVirtualWorkspace = false;

  // Setup helpers ---------------------------------------------------------------------------------

  /** Writes a file on disk; each write is a new version (its stamp changes, as an mtime would). */
  file(path: string, content: string | Uint8Array): Uri {
    const uri = path.includes(":") ? path : `${ROOT}/${path}`;
    this.files.set(uri, typeof content === "string" ? new TextEncoder().encode(content) : content);
    this.stamps.set(uri, (this.stamps.get(uri) ?? 0) + 1);
    return uri;
  }

  /** Closes an open document (the editor then tells the controller). */
  close(uri: Uri): void {
    this.docs.delete(uri);
  }

  open(path: string, text: string, languageId = path.endsWith(".py") ? "python" : "json"): Uri {
    const uri = path.includes(":") ? path : `${ROOT}/${path}`;
    const prev = this.docs.get(uri);
    this.docs.set(uri, { uri, version: (prev?.version ?? 0) + 1, languageId, text });
    return uri;
  }

  edit(uri: Uri, text: string): void {
    const prev = this.docs.get(uri)!;
    this.docs.set(uri, { ...prev, version: prev.version + 1, text });
  }

  /** Applies a recorded edit to open documents (as VS Code would). */
  applyToDocs(spec: WorkspaceEditSpec): void {
    for (const uri of new Set(spec.edits.map((e) => e.uri))) {
      const doc = this.docs.get(uri);
      const base = doc?.text ?? new TextDecoder().decode(this.files.get(uri) ?? new Uint8Array());
      const pos = new Positions(base);
      const edits = spec.edits.filter((e) => e.uri === uri).map((e) => ({ start: pos.offset(e.range.start), end: pos.offset(e.range.end), text: e.newText }));
      let out = base;
      for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
      if (doc) this.edit(uri, out);
      else this.files.set(uri, new TextEncoder().encode(out));
    }
  }

  diags(uri: Uri): Diag[] {
    return this.diagnostics.get(uri) ?? [];
  }

  codes(uri: Uri): string[] {
    return this.diags(uri).map((d) => `${d.code.value}@${d.range.start.line}:${d.range.start.character}`);
  }

  // Host ------------------------------------------------------------------------------------------

  settings(scope: Uri | undefined): (key: string) => unknown {
    const merged: Record<string, unknown> = { ...this.settingsByScope.get("*") };
    for (const [s, v] of this.settingsByScope) if (s !== "*" && scope && isInside(s, scope)) Object.assign(merged, v);
    return (key) => merged[key];
  }
  workspaceFolder(uri: Uri): Uri | undefined {
    return this.folders.filter((f) => isInside(f, uri)).sort((a, b) => b.length - a.length)[0];
  }
  workspaceFolders(): Uri[] {
    return this.folders;
  }
  displayPath(uri: Uri): string {
    const f = this.workspaceFolder(uri);
    return f ? relativePath(f, uri) : decodedPath(uri);
  }
  openDocuments(): DocumentSnapshot[] {
    return [...this.docs.values()];
  }
  document(uri: Uri): DocumentSnapshot | undefined {
    if (this.docs.has(uri)) return this.docs.get(uri);
    for (const nb of this.notebooks.values()) {
      const c = nb.cells.find((x) => x.uri === uri);
      if (c) return { uri: c.uri, version: c.version, languageId: c.languageId, text: c.text };
    }
    return undefined;
  }
  openNotebooks(): NotebookSnapshot[] {
    return [...this.notebooks.values()];
  }
  notebook(uri: Uri): NotebookSnapshot | undefined {
    return this.notebooks.get(uri);
  }
  async openNotebook(uri: Uri): Promise<NotebookSnapshot | undefined> {
    const open = this.notebooks.get(uri);
    if (open) return open;
    const bytes = this.files.get(uri);
    if (!bytes) return undefined;
    let json: { cells?: Array<{ cell_type?: string; source?: string | string[] }> };
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return undefined;
    }
    // As VS Code loads it: a cell URI per cell, the notebook's path with the cell in the fragment.
    const cells = (json.cells ?? []).map((c, index) => {
      const code = c.cell_type === "code";
      const text = Array.isArray(c.source) ? c.source.join("") : (c.source ?? "");
      return { index, uri: `vscode-notebook-cell:${decodedPath(uri)}#cell${index}`, version: 1, kind: code ? ("code" as const) : ("markup" as const), languageId: code ? "python" : "markdown", text };
    });
    const nb: NotebookSnapshot = { uri, version: 1, notebookType: "jupyter-notebook", cells };
    this.notebooks.set(uri, nb);
    this.loaded.push(uri);
    return nb;
  }
  activeDocument(): Uri | undefined {
    return this.active;
  }
  /** Files by URI, as host.ts gives them; `stamps` counts writes so a changed file has a new stamp. */
  readonly access: FileAccess = {
    list: async (dir) => (await this.readDirectory(dir)).map(([name, type]) => ({ name, type })),
    read: async (uri, cap) => {
      const bytes = this.files.get(uri);
      if (!bytes) return { size: 0, error: "ENOENT" };
      if (bytes.length > cap) return { size: bytes.length };
      return { bytes, size: bytes.length, stamp: { dev: 0, ino: 0, size: bytes.length, mtimeMs: this.stamps.get(uri) ?? 0 } };
    },
    open: async (uri) => {
      const src = await this.openSource(uri);
      if (!src) throw new Error(`cannot open ${uri}`);
      return src;
    },
    join: joinUri,
  };
  async readFile(uri: Uri): Promise<Uint8Array | undefined> {
    return this.files.get(uri);
  }
  async stat(uri: Uri): Promise<FileStat | undefined> {
    const f = this.files.get(uri);
    if (f) return { type: "file", size: f.length, mtime: this.stamps.get(uri) ?? 0 };
    if ([...this.files.keys()].some((k) => k.startsWith(`${uri}/`))) return { type: "directory", size: 0, mtime: 0 };
    return undefined;
  }
  async readDirectory(uri: Uri): Promise<Array<[string, FileStat["type"]]>> {
    const out = new Map<string, FileStat["type"]>();
    for (const k of this.files.keys()) {
      if (!k.startsWith(`${uri}/`)) continue;
      const rest = k.slice(uri.length + 1);
      const i = rest.indexOf("/");
      out.set(i < 0 ? rest : rest.slice(0, i), i < 0 ? "file" : "directory");
    }
    return [...out];
  }
  async openSource(uri: Uri): Promise<ClosableSource | undefined> {
    const bytes = this.files.get(uri);
    if (!bytes || !uri.startsWith("file:")) return undefined;
    this.opened++;
    this.totalOpened++;
    const src = bytesSource(bytes);
    return { size: src.size, read: src.read, close: async () => void this.opened-- };
  }
  async findFiles(include: string, max: number): Promise<Uri[]> {
    const m = picomatch(include, { dot: true });
    return [...this.files.keys()].filter((u) => this.folders.some((f) => isInside(f, u) && m(relativePath(f, u)))).slice(0, max);
  }
  setDiagnostics(uri: Uri, diags: Diag[]): void {
    if (diags.length) this.diagnostics.set(uri, diags);
    else this.diagnostics.delete(uri);
  }
  async applyEdit(edit: WorkspaceEditSpec): Promise<boolean> {
    this.edits.push(edit);
    return true;
  }
  log = {
    info: (m: string) => void this.logs.push(`info ${m}`),
    warn: (m: string) => void this.logs.push(`warn ${m}`),
    error: (m: string) => void this.logs.push(`error ${m}`),
    debug: (m: string) => void this.logs.push(`debug ${m}`),
  };
  async showWarning(message: string): Promise<string | undefined> {
    this.warnings.push(message);
    return undefined;
  }
  shown: string[] = [];
  async showFile(uri: string): Promise<void> {
    this.shown.push(uri);
  }
  /** Buttons offered with each information message, and the one to click (none by default). */
  infoActions: string[][] = [];
  infoChoice?: string;
  async showInfo(message: string, ...actions: string[]): Promise<string | undefined> {
    this.infos.push(message);
    this.infoActions.push(actions);
    return actions.includes(this.infoChoice ?? "") ? this.infoChoice : undefined;
  }
  showOutput(): void {
    this.logs.push("shown");
  }
  setStatus(view: StatusView): void {
    this.status = view;
  }
  /** Clicks Cancel on the progress notification shown last. */
  cancelProgress: () => void = () => undefined;
  /** Progress messages reported, in order (the titles of withProgress too, as "title: ..."). */
  readonly progress: string[] = [];
  async withProgress<T>(title: string, task: (p: ProgressReporter) => Promise<T>): Promise<T> {
    let reports = 0;
    const host = this;
    const abort = new AbortController();
    this.cancelProgress = () => abort.abort();
    this.progress.push(`title: ${title}`);
    if (this.cancelAfter <= 0) abort.abort();
    return task({
      report: (m: string) => {
        host.progress.push(m);
        // The user clicks Cancel after the nth report: the signal aborts as VS Code's token would.
        if (++reports >= host.cancelAfter) abort.abort();
      },
      get cancelled() {
        return reports >= host.cancelAfter;
      },
      signal: abort.signal,
    });
  }
  /** What the input box is answered with (by default: dismissed), and the validations it showed. */
  inputAnswer: string | undefined;
  readonly inputValidations: Array<{ text: string; message: string | undefined }> = [];
  inputProbe: string[] = [];
  async inputBox(o: InputBoxOptions): Promise<string | undefined> {
    // As VS Code does while the user types: validate each prefix of the answer, then the answer.
    for (const text of this.inputProbe) this.inputValidations.push({ text, message: o.validate?.(text) });
    return this.inputAnswer;
  }
  async quickPick<T>(items: Array<QuickPickItem<T>>): Promise<T | undefined> {
    return this.pick?.(items as Array<QuickPickItem<unknown>>) as T | undefined;
  }
  async showMarkdown(name: string, markdown: string): Promise<void> {
    this.markdown.push({ name, markdown });
  }
  async copyToClipboard(text: string): Promise<void> {
    this.clipboard.push(text);
  }
  openSettings(): void {}
}

/** A webview panel that records what the extension posts; `send` plays the page's messages. */
export class FakePanel implements PanelHandle {
  html = "";
  readonly cspSource = "vscode-resource:";
  readonly sent: unknown[] = [];
  disposed = false;
  revealed = 0;
  private listener?: (m: unknown) => void;
  asWebviewUri = (rel: string) => `vscode-resource:/dist/webview/${rel}`;
  postMessage = async (m: unknown) => (this.sent.push(m), true);
  onMessage = (cb: (m: unknown) => void) => void (this.listener = cb);
  onDispose = () => undefined;
  reveal = () => void this.revealed++;
  dispose = () => void (this.disposed = true);
  send(m: unknown) {
    this.listener!(m);
  }
}

export const settle = () => new Promise((r) => setTimeout(r, 50));

/** Polls `f` until it gives a value (about 10 s at most). */
export async function until<T>(f: () => T | undefined): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = f();
    if (v !== undefined) return v;
    await settle();
  }
  throw new Error("timed out");
}
