// Loads the built extension (dist/extension.js) in a plain Node process with a stub `vscode`
// module, measures require + activate, then opens a config.json and a Python file through the
// stub and reports what the extension published. Run: node activation-probe.cjs <folder> <files...>
// Prints one JSON object. test/extension/activation.test.ts runs it; it is also the way to measure
// activation by hand. With --lint-workspace (first argument after the folder), it then runs the
// Lint Workspace command over the folder (findFiles walks it) and reports the memory it took; the
// benchmark uses that for the extension host's memory with a large workspace.
"use strict";
const Module = require("node:module");
const fs = require("node:fs");
const path = require("node:path");
const { pathToFileURL, fileURLToPath } = require("node:url");

const memory = () => {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external + m.arrayBuffers };
};
const memStart = memory();
const [folder, ...rest] = process.argv.slice(2);
const lintWorkspace = rest[0] === "--lint-workspace";
const open = lintWorkspace ? rest.slice(1) : rest;
const commands = new Map();
const listeners = new Map();
const on = (name) => (fn) => {
  listeners.set(name, [...(listeners.get(name) ?? []), fn]);
  return { dispose() {} };
};
const fire = (name, arg) => (listeners.get(name) ?? []).forEach((fn) => fn(arg));
const logs = [];
const published = new Map();
const providers = { actions: [], hovers: [] };
const disposable = { dispose() {} };

class Uri {
  constructor(scheme, authority, p) {
    Object.assign(this, { scheme, authority, path: p });
  }
  static parse(s) {
    const m = /^([a-z][\w+.-]*):(?:\/\/([^/]*))?([^?#]*)/i.exec(s);
    return new Uri(m[1], m[2] ?? "", decodeURIComponent(m[3]));
  }
  static file(p) {
    return new Uri("file", "", p);
  }
  static from(c) {
    return new Uri(c.scheme, c.authority ?? "", c.path ?? "");
  }
  static joinPath(u, ...segs) {
    return new Uri(u.scheme, u.authority, path.posix.join(u.path, ...segs));
  }
  get fsPath() {
    return this.path;
  }
  toString() {
    return this.scheme === "file" ? pathToFileURL(this.path).href : `${this.scheme}:${this.authority ? `//${this.authority}` : ""}${this.path}`;
  }
}
class Kind {
  constructor(value) {
    this.value = value;
  }
  append(s) {
    return new Kind(`${this.value}.${s}`);
  }
  contains(o) {
    return o.value === this.value || o.value.startsWith(`${this.value}.`);
  }
}
class Range {
  constructor(a, b, c, d) {
    Object.assign(this, { start: { line: a, character: b }, end: { line: c, character: d } });
  }
}
class EventEmitter {
  event = () => disposable;
  fire() {}
  dispose() {}
}
const plain = (name) =>
  class {
    constructor(...args) {
      this.kind = name;
      this.args = args;
    }
  };
class Diagnostic {
  constructor(range, message, severity) {
    Object.assign(this, { range, message, severity });
  }
}
class WorkspaceEdit {
  ops = [];
  createFile(uri) {
    this.ops.push(["create", uri.toString()]);
  }
  replace(uri, range, text) {
    this.ops.push(["replace", uri.toString(), range, text]);
  }
}
const folderUri = Uri.file(path.resolve(folder));
const textDocuments = [];
const config = { get: () => undefined };

const vscode = {
  version: "1.90.0-stub",
  Uri,
  Range,
  EventEmitter,
  Diagnostic,
  WorkspaceEdit,
  DiagnosticRelatedInformation: plain("related"),
  Location: plain("location"),
  Hover: plain("hover"),
  MarkdownString: plain("markdown"),
  CodeAction: class {
    constructor(title, kind) {
      Object.assign(this, { title, kind });
    }
  },
  CodeActionKind: { QuickFix: new Kind("quickfix"), SourceFixAll: new Kind("source.fixAll"), Source: new Kind("source") },
  DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
  DiagnosticTag: { Unnecessary: 1 },
  FileType: { File: 1, Directory: 2, SymbolicLink: 64 },
  NotebookCellKind: { Markup: 1, Code: 2 },
  LanguageStatusSeverity: { Information: 0, Warning: 1, Error: 2 },
  ProgressLocation: { Notification: 15 },
  window: {
    onDidChangeActiveTextEditor: () => disposable,
    createOutputChannel: () => ({ info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m), debug: (m) => logs.push(m), show() {}, dispose() {} }),
    showWarningMessage: async (m) => void logs.push(`[warning] ${m}`),
    showInformationMessage: async (m) => void logs.push(`[info] ${m}`),
    showErrorMessage: async (m) => void logs.push(`[error] ${m}`),
    withProgress: (o, task) => task({ report() {} }, { isCancellationRequested: false }),
    showQuickPick: async () => undefined,
    showTextDocument: async () => undefined,
    registerWebviewPanelSerializer: () => disposable,
    activeTextEditor: undefined,
  },
  languages: {
    createDiagnosticCollection: () => ({ set: (u, d) => published.set(u.toString(), d), get: (u) => published.get(u.toString()), delete: (u) => published.delete(u.toString()), dispose() {} }),
    createLanguageStatusItem: () => ({ dispose() {} }),
    onDidChangeDiagnostics: () => disposable,
    registerCodeActionsProvider: (sel, p) => (providers.actions.push(p), disposable),
    registerHoverProvider: (sel, p) => (providers.hovers.push(p), disposable),
  },
  workspace: {
    textDocuments,
    notebookDocuments: [],
    workspaceFolders: [{ uri: folderUri, name: path.basename(folder), index: 0 }],
    getConfiguration: () => config,
    getWorkspaceFolder: (u) => (u.path.startsWith(folderUri.path) ? { uri: folderUri } : undefined),
    asRelativePath: (u) => path.relative(folderUri.path, u.path),
    fs: {
      readFile: async (u) => new Uint8Array(fs.readFileSync(u.fsPath)),
      stat: async (u) => {
        const s = fs.statSync(u.fsPath);
        return { type: s.isDirectory() ? 2 : 1, size: s.size, mtime: s.mtimeMs };
      },
      readDirectory: async (u) => fs.readdirSync(u.fsPath, { withFileTypes: true }).map((e) => [e.name, e.isDirectory() ? 2 : 1]),
    },
    findFiles: async (include, _exclude, max) => (lintWorkspace ? findFiles(include, max) : []),
    applyEdit: async () => true,
    registerTextDocumentContentProvider: () => disposable,
    createFileSystemWatcher: () => ({ onDidCreate: () => disposable, onDidChange: () => disposable, onDidDelete: () => disposable, dispose() {} }),
    onDidOpenTextDocument: on("open"),
    onDidChangeTextDocument: on("change"),
    onDidSaveTextDocument: on("save"),
    onDidCloseTextDocument: on("close"),
    onDidOpenNotebookDocument: on("nbopen"),
    onDidChangeNotebookDocument: on("nbchange"),
    onDidSaveNotebookDocument: on("nbsave"),
    onDidCloseNotebookDocument: on("nbclose"),
    onDidChangeConfiguration: on("config"),
  },
  commands: { registerCommand: (id, fn) => (commands.set(id, fn), disposable), executeCommand: async () => undefined },
  env: { clipboard: { writeText: async () => undefined } },
};

// The workspace's files matching "**/name" or "**/*.ext" (all Lint Workspace asks for), skipping
// .git and node_modules.
function findFiles(include, max) {
  const m = /^\*\*\/(\*)?(.+)$/.exec(include);
  const test = m[1] ? (n) => n.endsWith(m[2]) : (n) => n === m[2];
  const out = [];
  (function walk(dir) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (out.length >= max) return;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== ".git" && e.name !== "node_modules") walk(p);
      } else if (test(e.name)) out.push(Uri.file(p));
    }
  })(path.resolve(folder));
  return out;
}

const load = Module._load;
Module._load = function (request, ...rest) {
  return request === "vscode" ? vscode : load.call(this, request, ...rest);
};

const extensionRoot = path.resolve(__dirname, "..", "..");
const context = { subscriptions: [], extensionUri: Uri.file(extensionRoot), extension: { packageJSON: { version: "probe" } } };

const t0 = performance.now();
const ext = require(path.join(extensionRoot, "dist", "extension.js"));
const t1 = performance.now();
ext.activate(context);
const t2 = performance.now();
const engineLoadedAtActivation = logs.some((l) => l.startsWith("engine loaded"));
const memActivated = memory();

const wait = async (pred, ms = 20000) => {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
};

(async () => {
  const results = {};
  for (const rel of open) {
    const file = path.resolve(folder, rel);
    const text = fs.readFileSync(file, "utf8");
    const uri = Uri.file(file);
    const lines = text.split("\n");
    const doc = {
      uri,
      version: 1,
      languageId: file.endsWith(".py") ? "python" : "json",
      getText: () => text,
      lineAt: (n) => ({ text: lines[n] }),
    };
    textDocuments.push(doc);
    const t = performance.now();
    fire("open", doc);
    await wait(() => published.has(uri.toString()));
    const ms = performance.now() - t;
    const diags = published.get(uri.toString()) ?? [];
    const first = diags[0];
    const actions = first ? providers.actions[0].provideCodeActions(doc, first.range, { diagnostics: [first] }) : [];
    const hover = first ? await providers.hovers[0].provideHover(doc, first.range.start) : undefined;
    results[rel] = {
      firstLintMs: Math.round(ms),
      diagnostics: diags.map((d) => ({ code: d.code.value, target: d.code.target.toString(), source: d.source, severity: d.severity, line: d.range.start.line, character: d.range.start.character, related: (d.relatedInformation ?? []).length })),
      actions: actions.map((a) => `${a.kind.value}: ${a.title}`),
      hover: hover ? String(hover.args[0].args[0]).split("\n")[0] : undefined,
    };
  }
  let workspace;
  if (lintWorkspace) {
    const t = performance.now();
    await commands.get("normlint.lintWorkspace")();
    workspace = { ms: Math.round(performance.now() - t), summary: logs.find((l) => /files? linted/.test(l)) };
  }
  global.gc?.();
  process.stdout.write(
    JSON.stringify({
      memory: { start: memStart, activated: memActivated, end: memory(), maxRss: process.resourceUsage().maxRSS * 1024 },
      workspace,
      requireMs: +(t1 - t0).toFixed(2),
      activateMs: +(t2 - t1).toFixed(2),
      totalMs: +(t2 - t0).toFixed(2),
      engineLoadedAtActivation,
      subscriptions: context.subscriptions.length,
      results,
      logs,
    }),
  );
  process.exit(0);
})();
void fileURLToPath;
