// The one module that calls the vscode API. It implements the Host interface for the controller,
// converts plain data (Diag, Action, WorkspaceEditSpec) into vscode objects, and wires events,
// providers and the command table. Everything else in src/extension is plain TypeScript.
import * as vscode from "vscode";
import { type FileAccess, nodeAccess } from "../node/access";
import { COMMANDS, NORM_LAB_VIEW_TYPE } from "./commands";
import { Controller } from "./controller";
import { HUB_SCHEME } from "./hub-docs";
import type { Action, CellSnapshot, Diag, DocumentSnapshot, FileStat, Host, NotebookSnapshot, PanelHandle, Range, StatusView, WorkspaceEditSpec } from "./types";
import { joinUri } from "./uri";
import { activeFileStatus, type FileCounts } from "./status";

/** The documents normlint lints, hovers and fixes: model configs, Python (files and notebook cells). */
const SELECTOR: vscode.DocumentSelector = [
  { language: "json", pattern: "**/config.json" },
  { language: "jsonc", pattern: "**/config.json" },
  { language: "python" },
];
const STATUS_SELECTOR: vscode.DocumentSelector = [...(SELECTOR as vscode.DocumentFilter[]), { pattern: "**/.normlint.json" }];
const FIX_ALL = vscode.CodeActionKind.SourceFixAll.append("normlint");
const DOCS_SCHEME = "normlint-docs";
const WATCH = "**/{config.json,params.json,.normlint.json,*.py,*.ipynb,*.safetensors,*.safetensors.index.json,*.gguf,*.bin,*.pt,*.pth,*.ckpt}";

const parse = (uri: string) => vscode.Uri.parse(uri, true);

function toRange(r: Range): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

const SEVERITY = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
} as const;

const converted = new WeakMap<Diag, vscode.Diagnostic>();

function toDiagnostic(d: Diag): vscode.Diagnostic {
  let out = converted.get(d);
  if (out) return out;
  out = new vscode.Diagnostic(toRange(d.range), d.message, SEVERITY[d.severity]);
  out.source = d.source;
  out.code = { value: d.code.value, target: parse(d.code.target) };
  if (d.related.length) out.relatedInformation = d.related.map((r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(parse(r.uri), toRange(r.range)), r.message));
  if (d.tags.includes("unnecessary")) out.tags = [vscode.DiagnosticTag.Unnecessary];
  converted.set(d, out);
  return out;
}

function toWorkspaceEdit(spec: WorkspaceEditSpec): vscode.WorkspaceEdit {
  const edit = new vscode.WorkspaceEdit();
  for (const uri of spec.creates) edit.createFile(parse(uri), { ignoreIfExists: true });
  for (const e of spec.edits) edit.replace(parse(e.uri), toRange(e.range), e.newText);
  return edit;
}

function fileType(t: vscode.FileType): FileStat["type"] {
  return t & vscode.FileType.Directory ? "directory" : t & vscode.FileType.File ? "file" : "other";
}

function docSnapshot(d: vscode.TextDocument): DocumentSnapshot {
  return {
    uri: d.uri.toString(),
    version: d.version,
    languageId: d.languageId,
    // Read lazily: listing open documents must not copy every buffer.
    get text() {
      return d.getText();
    },
  };
}

function notebookSnapshot(nb: vscode.NotebookDocument): NotebookSnapshot {
  return {
    uri: nb.uri.toString(),
    version: nb.version,
    notebookType: nb.notebookType,
    cells: nb.getCells().map(
      (c): CellSnapshot => ({
        index: c.index,
        uri: c.document.uri.toString(),
        version: c.document.version,
        kind: c.kind === vscode.NotebookCellKind.Code ? "code" : "markup",
        languageId: c.document.languageId,
        get text() {
          return c.document.getText();
        },
      }),
    ),
  };
}

/** Scripts on, and nothing loadable but the webview bundle (dist/webview). */
function webviewOptions(context: vscode.ExtensionContext): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, "dist", "webview")] };
}

function wrapPanel(panel: vscode.WebviewPanel, context: vscode.ExtensionContext): PanelHandle {
  const root = vscode.Uri.joinPath(context.extensionUri, "dist", "webview");
  const subs: vscode.Disposable[] = [];
  panel.onDidDispose(() => subs.forEach((d) => d.dispose()));
  return {
    get html() {
      return panel.webview.html;
    },
    set html(v: string) {
      panel.webview.html = v;
    },
    cspSource: panel.webview.cspSource,
    asWebviewUri: (relative) => panel.webview.asWebviewUri(vscode.Uri.joinPath(root, relative)).toString(),
    postMessage: (m) => Promise.resolve(panel.webview.postMessage(m)),
    onMessage: (cb) => void subs.push(panel.webview.onDidReceiveMessage(cb)),
    onDispose: (cb) => void panel.onDidDispose(cb),
    reveal: () => panel.reveal(),
    dispose: () => panel.dispose(),
  };
}

const isCell = (uri: vscode.Uri) => uri.scheme === "vscode-notebook-cell";

/**
 * Files by URI: file: URIs through the Node reader the CLI uses (a FIFO or device is an error, not a
 * wait), others (virtual workspaces) through vscode.workspace.fs, which has no ranged reads.
 */
const access: FileAccess = {
  async list(dir) {
    const u = parse(dir);
    if (u.scheme === "file") return nodeAccess.list(u.fsPath);
    return (await vscode.workspace.fs.readDirectory(u)).map(([name, t]) => ({ name, type: fileType(t) }));
  },
  async read(uri, cap) {
    const u = parse(uri);
    if (u.scheme === "file") return nodeAccess.read(u.fsPath, cap);
    try {
      const st = await vscode.workspace.fs.stat(u);
      if (fileType(st.type) !== "file") return { size: 0, error: "not a regular file" };
      if (st.size > cap) return { size: st.size };
      const bytes = await vscode.workspace.fs.readFile(u);
      return { bytes, size: bytes.length, stamp: { dev: 0, ino: 0, size: bytes.length, mtimeMs: st.mtime } };
    } catch (e) {
      return { size: 0, error: (e as { code?: string }).code ?? (e as Error).message };
    }
  },
  async open(uri) {
    const u = parse(uri);
    if (u.scheme !== "file") throw new Error("checkpoints are read from disk only (VS Code's file system API has no ranged reads)");
    return nodeAccess.open(u.fsPath);
  },
  join: joinUri,
};

export function activateHost(context: vscode.ExtensionContext, activationStart: number): Controller {
  const subs = context.subscriptions;
  const log = vscode.window.createOutputChannel("normlint", { log: true });
  const collection = vscode.languages.createDiagnosticCollection("normlint");
  const status = vscode.languages.createLanguageStatusItem("normlint.status", STATUS_SELECTOR);
  status.name = "normlint";
  status.command = { command: "normlint.showOutput", title: "Show Output" };
  // The controller sets the workspace figures; the active file's own findings join them here, where
  // the diagnostics and the active editor are known (status.ts decides the text and the click).
  let lastStatus: StatusView = { text: "normlint", detail: "", severity: "info", busy: false };
  const refreshStatus = () => {
    const doc = vscode.window.activeTextEditor?.document;
    const counts = doc && countDiagnostics(collection.get(doc.uri) ?? []);
    const view = activeFileStatus(lastStatus, doc ? vscode.workspace.asRelativePath(doc.uri) : undefined, counts);
    status.text = view.text;
    status.detail = view.detail;
    status.busy = view.busy;
    status.command = { command: view.command.id, title: view.command.title };
    status.severity =
      view.severity === "error" ? vscode.LanguageStatusSeverity.Error : view.severity === "warning" ? vscode.LanguageStatusSeverity.Warning : vscode.LanguageStatusSeverity.Information;
  };
  subs.push(vscode.window.onDidChangeActiveTextEditor(refreshStatus), vscode.languages.onDidChangeDiagnostics(refreshStatus));
  const pages = new Map<string, string>();
  const pageChanged = new vscode.EventEmitter<vscode.Uri>();
  subs.push(log, collection, status, pageChanged);
  subs.push(vscode.workspace.registerTextDocumentContentProvider(DOCS_SCHEME, { onDidChange: pageChanged.event, provideTextDocumentContent: (uri) => pages.get(uri.path) ?? "" }));

  const findDocument = (uri: string) => {
    const key = parse(uri).toString();
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
  };
  const folders = () => vscode.workspace.workspaceFolders ?? [];

  const host: Host = {
    settings(scope) {
      const cfg = vscode.workspace.getConfiguration("normlint", scope ? parse(scope) : undefined);
      return (key) => cfg.get(key);
    },
    workspaceFolder: (uri) => vscode.workspace.getWorkspaceFolder(parse(uri))?.uri.toString(),
    workspaceFolders: () => folders().map((f) => f.uri.toString()),
    displayPath: (uri) => vscode.workspace.asRelativePath(parse(uri), folders().length > 1),
    openDocuments: () => vscode.workspace.textDocuments.filter((d) => !isCell(d.uri)).map(docSnapshot),
    document(uri) {
      const d = findDocument(uri);
      return d && docSnapshot(d);
    },
    openNotebooks: () => vscode.workspace.notebookDocuments.map(notebookSnapshot),
    notebook(uri) {
      const key = parse(uri).toString();
      const nb = vscode.workspace.notebookDocuments.find((n) => n.uri.toString() === key);
      return nb && notebookSnapshot(nb);
    },
    async openNotebook(uri) {
      try {
        return notebookSnapshot(await vscode.workspace.openNotebookDocument(parse(uri)));
      } catch (err) {
        log.warn(`cannot load notebook ${parse(uri).fsPath}: ${(err as Error).message}`);
        return undefined;
      }
    },
    activeDocument: () => vscode.window.activeTextEditor?.document.uri.toString(),
    access,
    async readFile(uri) {
      return (await access.read(uri, Infinity)).bytes;
    },
    async stat(uri) {
      try {
        const s = await vscode.workspace.fs.stat(parse(uri));
        return { type: fileType(s.type), size: s.size, mtime: s.mtime };
      } catch {
        return undefined;
      }
    },
    async readDirectory(uri) {
      try {
        return (await vscode.workspace.fs.readDirectory(parse(uri))).map(([name, t]) => [name, fileType(t)]);
      } catch {
        return [];
      }
    },
    async openSource(uri) {
      if (parse(uri).scheme !== "file") return undefined;
      try {
        return await access.open(uri);
      } catch (err) {
        log.warn(`cannot open ${parse(uri).fsPath}: ${(err as Error).message}`);
        return undefined;
      }
    },
    findFiles: async (include, max) => (await vscode.workspace.findFiles(include, undefined, max)).map((u) => u.toString()),
    setDiagnostics(uri, diags) {
      const u = parse(uri);
      if (diags.length) collection.set(u, diags.map(toDiagnostic));
      else collection.delete(u);
    },
    applyEdit: (spec) => Promise.resolve(vscode.workspace.applyEdit(toWorkspaceEdit(spec))),
    log: {
      info: (m) => log.info(m),
      warn: (m) => log.warn(m),
      error: (m) => log.error(m),
      debug: (m) => log.debug(m),
    },
    showWarning: (message, ...actions) => Promise.resolve(vscode.window.showWarningMessage(message, ...actions)),
    showFile: async (uri) => void (await vscode.window.showTextDocument(parse(uri), { preview: false })),
    showInfo: (message, ...actions) => Promise.resolve(vscode.window.showInformationMessage(message, ...actions)),
    showOutput: () => log.show(true),
    setStatus(view: StatusView) {
      lastStatus = view;
      refreshStatus();
    },
    withProgress: (title, task) =>
      Promise.resolve(
        vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
          const abort = new AbortController();
          const sub = token.onCancellationRequested(() => abort.abort());
          return task({
            report: (message, increment) => progress.report({ message, increment }),
            get cancelled() {
              return token.isCancellationRequested;
            },
            signal: abort.signal,
          }).finally(() => sub.dispose());
        }),
      ),
    inputBox: (o) =>
      Promise.resolve(
        vscode.window.showInputBox({ title: o.title, prompt: o.prompt, placeHolder: o.placeHolder, value: o.value, ignoreFocusOut: true, validateInput: o.validate && ((v) => o.validate!(v)) }),
      ),
    async quickPick(items, placeHolder) {
      const picked = await vscode.window.showQuickPick(
        items.map((i) => ({ label: i.label, description: i.description, detail: i.detail, value: i.value })),
        { placeHolder, matchOnDescription: true, matchOnDetail: true },
      );
      return picked?.value;
    },
    async showMarkdown(name, markdown) {
      const uri = vscode.Uri.from({ scheme: DOCS_SCHEME, path: `/${name}.md` });
      pages.set(uri.path, markdown);
      pageChanged.fire(uri);
      try {
        await vscode.commands.executeCommand("markdown.showPreview", uri);
      } catch {
        // Without the built-in markdown extension: the page as text.
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true });
      }
    },
    copyToClipboard: (text) => Promise.resolve(vscode.env.clipboard.writeText(text)),
    openSettings: (query) => void vscode.commands.executeCommand("workbench.action.openSettings", query),
    panels: {
      create: (viewType, title) => wrapPanel(vscode.window.createWebviewPanel(viewType, title, vscode.ViewColumn.Beside, webviewOptions(context)), context),
      showProblems: () => void vscode.commands.executeCommand("workbench.actions.view.problems"),
      showFinding: (folder, code) => showFinding(folder, code),
    },
    extensionDir: vscode.Uri.joinPath(context.extensionUri, "dist").fsPath,
    // The packaged docs/rules pages, not a web address: they open in an editor tab, offline too.
    ruleDocUri: (rule) => vscode.Uri.joinPath(context.extensionUri, "docs", "rules", `${rule}.md`).toString(),
    versions: { extension: String((context.extension.packageJSON as { version?: string }).version ?? "?"), vscode: vscode.version },
    // Folders can be added and removed while the extension runs.
    get isVirtualWorkspace() {
      return folders().length > 0 && folders().every((f) => f.uri.scheme !== "file");
    },
  };

  const controller = new Controller(host, {});
  subs.push({ dispose: () => controller.dispose() });

  // The read-only documents of Hub checks (hub-docs.ts): a content provider's documents cannot be edited.
  const hubChanged = new vscode.EventEmitter<vscode.Uri>();
  subs.push(
    hubChanged,
    controller.hubDocuments.onDidChange((uri) => hubChanged.fire(parse(uri))),
    vscode.workspace.registerTextDocumentContentProvider(HUB_SCHEME, { onDidChange: hubChanged.event, provideTextDocumentContent: (uri) => controller.hubDocuments.provide(uri.toString()) }),
  );

  // Norm Lab panels kept across a reload come back through the serializer, with the page's state.
  subs.push(
    vscode.window.registerWebviewPanelSerializer(NORM_LAB_VIEW_TYPE, {
      async deserializeWebviewPanel(panel, state) {
        panel.webview.options = webviewOptions(context);
        await controller.reviveNormLab(wrapPanel(panel, context), state);
      },
    }),
  );

  // The command table: one registration per entry, the handler from the controller.
  for (const c of COMMANDS) subs.push(vscode.commands.registerCommand(c.command, (...args: unknown[]) => controller.commands[c.command](...args)));

  const plain = new WeakMap<vscode.CodeAction, Action>();
  subs.push(
    vscode.languages.registerCodeActionsProvider(
      SELECTOR,
      {
        provideCodeActions(document, range, context) {
          const only = context.only;
          const want = { quickfix: !only || only.contains(vscode.CodeActionKind.QuickFix), fixAll: !!only && (only.contains(FIX_ALL) || FIX_ALL.contains(only)) };
          const r = { start: { line: range.start.line, character: range.start.character }, end: { line: range.end.line, character: range.end.character } };
          return controller.provideCodeActions(document.uri.toString(), r, want).map((a) => {
            const action = new vscode.CodeAction(a.title, a.kind === "quickfix" ? vscode.CodeActionKind.QuickFix : FIX_ALL);
            action.diagnostics = a.diagnostics.map(toDiagnostic);
            action.isPreferred = a.isPreferred;
            if (a.edit) action.edit = toWorkspaceEdit(a.edit);
            if (a.command) action.command = a.command;
            plain.set(action, a);
            return action;
          });
        },
        async resolveCodeAction(action) {
          const a = plain.get(action);
          const spec = a?.resolve ? await a.resolve() : undefined;
          if (spec) action.edit = toWorkspaceEdit(spec);
          return action;
        },
      },
      { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, FIX_ALL] },
    ),
    vscode.languages.registerHoverProvider(SELECTOR, {
      async provideHover(document, position) {
        const h = await controller.provideHover(document.uri.toString(), { line: position.line, character: position.character });
        if (!h) return undefined;
        return new vscode.Hover(new vscode.MarkdownString(h.markdown), toRange(h.range));
      },
    }),
  );

  const ws = vscode.workspace;
  subs.push(
    ws.onDidOpenTextDocument((d) => !isCell(d.uri) && controller.onOpen(d.uri.toString())),
    ws.onDidChangeTextDocument(
      (e) =>
        e.contentChanges.length > 0 &&
        controller.onChange(
          e.document.uri.toString(),
          e.contentChanges.map((c) => ({ start: c.rangeOffset, end: c.rangeOffset + c.rangeLength, text: c.text })),
        ),
    ),
    ws.onDidSaveTextDocument((d) => !isCell(d.uri) && controller.onSave(d.uri.toString())),
    ws.onDidCloseTextDocument((d) => !isCell(d.uri) && controller.onClose(d.uri.toString())),
    ws.onDidOpenNotebookDocument((nb) => controller.onNotebookOpen(nb.uri.toString())),
    ws.onDidChangeNotebookDocument((e) => e.contentChanges.length > 0 && controller.onNotebookChange(e.notebook.uri.toString())),
    ws.onDidSaveNotebookDocument((nb) => controller.onNotebookSave(nb.uri.toString())),
    ws.onDidCloseNotebookDocument((nb) => controller.onNotebookClose(nb.uri.toString())),
    ws.onDidChangeConfiguration((e) => e.affectsConfiguration("normlint") && controller.onSettingsChanged()),
  );
  const watcher = ws.createFileSystemWatcher(WATCH);
  subs.push(
    watcher,
    watcher.onDidCreate((u) => controller.onFileEvent(u.toString(), "created")),
    watcher.onDidChange((u) => controller.onFileEvent(u.toString(), "changed")),
    watcher.onDidDelete((u) => controller.onFileEvent(u.toString(), "deleted")),
  );

  controller.start();
  const ms = performance.now() - activationStart;
  controller.activationMs = ms;
  log.info(`normlint ${host.versions.extension} activated in ${ms.toFixed(1)} ms (engine loads on the first lint)${host.isVirtualWorkspace ? "; virtual workspace: checkpoints are not read" : ""}`);
  return controller;
}

/** The finding with rule `code` under `folder`, opened with its hover; see PanelHost.showFinding. */
async function showFinding(folder: string, code: string): Promise<boolean> {
  const prefix = folder.endsWith("/") ? folder : `${folder}/`;
  const find = () => {
    for (const [uri, diags] of vscode.languages.getDiagnostics()) {
      if (!uri.toString().startsWith(prefix)) continue;
      const d = diags.find((x) => x.source === "normlint" && String(typeof x.code === "object" ? x.code.value : x.code) === code);
      if (d) return { uri, d };
    }
    return undefined;
  };
  let hit = find();
  if (!hit) {
    // Not linted yet: opening the folder's config.json lints it (and the checkpoints beside it).
    await Promise.resolve(vscode.window.showTextDocument(vscode.Uri.parse(`${prefix}config.json`), { viewColumn: vscode.ViewColumn.One, preview: true })).catch(() => undefined);
    for (let i = 0; i < 40 && !hit; i++) {
      await new Promise((r) => setTimeout(r, 100));
      hit = find();
    }
  }
  if (!hit) return false;
  await vscode.window.showTextDocument(hit.uri, { viewColumn: vscode.ViewColumn.One, selection: hit.d.range, preview: true });
  await vscode.commands.executeCommand("editor.action.showHover");
  return true;
}

function countDiagnostics(diags: readonly vscode.Diagnostic[]): FileCounts {
  const c = { errors: 0, warnings: 0, infos: 0 };
  for (const d of diags) {
    if (d.severity === vscode.DiagnosticSeverity.Error) c.errors++;
    else if (d.severity === vscode.DiagnosticSeverity.Warning) c.warnings++;
    else c.infos++;
  }
  return c;
}
