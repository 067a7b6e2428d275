// Workspace findings and open-file findings are one set: after Lint Workspace, opening a file shows
// its own text's findings, and closing it brings back what its bytes on disk give, never nothing and
// never a mix. A notebook's finding appears once, on its cell, whether the notebook is open or not.
import { afterEach, describe, expect, it } from "vitest";
import { folderInput } from "../harness/model-folder";
import { Controller } from "../../src/extension/controller";
import type { NotebookSnapshot } from "../../src/extension/types";
import { FakeHost, ROOT } from "./fake-host";
import { GEMMA_PY } from "./samples";

const HEAD = GEMMA_PY.slice(0, GEMMA_PY.indexOf("class"));
const BODY = GEMMA_PY.slice(GEMMA_PY.indexOf("class"));
const LLAMA_UNUSED_EPS = '{"model_type": "llama", "layer_norm_eps": 1e-5}';
const LLAMA_BAD_EPS = '{"model_type": "llama", "rms_norm_eps": -1}';
const NB_URI = `${ROOT}/nb.ipynb`;
const CELL = (i: number) => `vscode-notebook-cell:/ws/nb.ipynb#cell${i}`;

function ipynb(cells: Array<["code" | "markdown", string]>): string {
  return JSON.stringify({ cells: cells.map(([t, src]) => ({ cell_type: t, metadata: {}, source: src.split(/(?<=\n)/), ...(t === "code" ? { outputs: [], execution_count: null } : {}) })), metadata: {}, nbformat: 4, nbformat_minor: 5 }, null, 1);
}
const NOTEBOOK = ipynb([["code", HEAD], ["markdown", "# notes"], ["code", BODY]]);

let controller: Controller | undefined;
afterEach(() => controller?.dispose());

async function workspace(configure?: (h: FakeHost) => void) {
  const host = new FakeHost();
  const input = folderInput({ modelType: "gemma2", fill: "ones" });
  const st = input.safetensors[0].source;
  host.file("m/model.safetensors", await st.read(0, st.size));
  host.file("m/config.json", new TextDecoder().decode(input.config!.bytes));
  host.file("a/config.json", LLAMA_UNUSED_EPS);
  host.file("b/gemma.py", GEMMA_PY);
  host.file("tools/broken.py", "def f(:\n    return 1\n");
  host.file("nb.ipynb", NOTEBOOK);
  configure?.(host);
  controller = new Controller(host, { typeDelay: 10 });
  return { host, c: controller };
}

/** Every diagnostic in the workspace, as `uri code line:column`, sorted. */
function problems(host: FakeHost): string[] {
  return [...host.diagnostics].flatMap(([uri, ds]) => ds.map((d) => `${uri} ${d.code.value} ${d.range.start.line}:${d.range.start.character}`)).sort();
}

const text = (host: FakeHost, uri: string) => new TextDecoder().decode(host.files.get(uri));

/** The user opens a file with its text on disk, then closes it. */
async function openAndClose(host: FakeHost, c: Controller, uri: string, languageId: string) {
  host.open(uri, text(host, uri), languageId);
  c.onOpen(uri);
  await c.idle();
  host.close(uri);
  c.onClose(uri);
  await c.idle();
}

describe("Lint Workspace and open files are one set", () => {
  it("opening and closing each file leaves the Problems list as Lint Workspace left it", async () => {
    const { host, c } = await workspace();
    await c.commands["normlint.lintWorkspace"]();
    const found = problems(host);
    // The folder rule's finding on m/config.json, the config's own, the Python file's, the notebook cell's.
    expect(found.some((p) => p.startsWith(`${ROOT}/m/config.json NL`))).toBe(true);
    expect(found.filter((p) => p.startsWith(`${ROOT}/a/config.json `))).toEqual([`${ROOT}/a/config.json NL101 0:24`]);
    expect(found.some((p) => p.startsWith(`${ROOT}/b/gemma.py NL201`))).toBe(true);
    expect(found.some((p) => p.startsWith(`${CELL(2)} NL201`))).toBe(true);
    const reads = host.totalOpened;
    for (const [path, lang] of [["m/config.json", "json"], ["a/config.json", "json"], ["b/gemma.py", "python"], ["tools/broken.py", "python"]]) {
      await openAndClose(host, c, `${ROOT}/${path}`, lang);
      expect(problems(host), `after opening and closing ${path}`).toEqual(found);
    }
    // Reopening config.json with unchanged text re-anchors its checkpoint findings; nothing is re-read.
    expect(host.totalOpened).toBe(reads);
    // The notebook, opened in the editor and closed again.
    c.onNotebookOpen(NB_URI);
    await c.idle();
    expect(problems(host)).toEqual(found);
    host.notebooks.delete(NB_URI);
    c.onNotebookClose(NB_URI);
    await c.idle();
    expect(problems(host)).toEqual(found);
  });

  it("while open, the document's own text wins; closed unsaved, the disk's findings return; saved, the saved text's", async () => {
    const { host, c } = await workspace();
    await c.commands["normlint.lintWorkspace"]();
    const found = problems(host);
    const a = `${ROOT}/a/config.json`;
    // Open: a file the bulk lint skipped unparsed (no norm in it) shows its syntax error.
    const broken = host.open("tools/broken.py", text(host, `${ROOT}/tools/broken.py`));
    c.onOpen(broken);
    await c.idle();
    expect(host.codes(broken).map((x) => x.split("@")[0])).toEqual(["NL200"]);
    host.close(broken);
    c.onClose(broken);
    await c.idle();
    expect(host.diags(broken)).toEqual([]);

    host.open("a/config.json", LLAMA_UNUSED_EPS);
    c.onOpen(a);
    await c.idle();
    host.edit(a, LLAMA_BAD_EPS);
    c.onChange(a);
    await c.idle();
    expect(host.codes(a)).toEqual(["NL103@0:40"]);
    // Closed without saving: the file on disk is what it was.
    host.close(a);
    c.onClose(a);
    await c.idle();
    expect(problems(host)).toEqual(found);

    // Saved, then closed: the saved text's findings, alone.
    host.open("a/config.json", LLAMA_UNUSED_EPS);
    c.onOpen(a);
    host.edit(a, LLAMA_BAD_EPS);
    host.file("a/config.json", LLAMA_BAD_EPS);
    c.onSave(a);
    await c.idle();
    host.close(a);
    c.onClose(a);
    await c.idle();
    expect(host.codes(a)).toEqual(["NL103@0:40"]);
    expect(problems(host).filter((p) => !p.startsWith(`${a} `))).toEqual(found.filter((p) => !p.startsWith(`${a} `)));
  });

  it("a file outside Lint Workspace's set is cleared on close, as before", async () => {
    const { host, c } = await workspace();
    const uri = host.open("b/gemma.py", GEMMA_PY);
    c.start();
    await c.idle();
    expect(host.diags(uri).length).toBeGreaterThan(0);
    host.close(uri);
    c.onClose(uri);
    await c.idle();
    expect(host.diagnostics.size).toBe(0);
  });
});

describe("notebooks in the one set", () => {
  const norm = (host: FakeHost) => problems(host).filter((p) => p.includes(" NL201 "));

  it("a closed notebook's finding sits once on its cell, with the cell's own line, through open, close and a change on disk", async () => {
    const { host, c } = await workspace();
    await c.commands["normlint.lintWorkspace"]();
    // Cell 2 holds the class; the line is the cell's (the Problems entry opens that cell there).
    const once = norm(host).filter((p) => !p.startsWith(`${ROOT}/b/`));
    expect(once).toEqual([`${CELL(2)} NL201 9:20`]);
    expect(host.diags(NB_URI)).toEqual([]);
    expect(host.loaded).toEqual([NB_URI]);

    c.onNotebookOpen(NB_URI);
    await c.idle();
    expect(norm(host).filter((p) => !p.startsWith(`${ROOT}/b/`))).toEqual(once);
    host.notebooks.delete(NB_URI);
    c.onNotebookClose(NB_URI);
    await c.idle();
    expect(norm(host).filter((p) => !p.startsWith(`${ROOT}/b/`))).toEqual(once);
    // Closed unchanged, it was not loaded again.
    expect(host.loaded).toEqual([NB_URI]);

    // Changed on disk while closed: linted again from the new file, still once, on the new cell.
    host.file("nb.ipynb", ipynb([["markdown", "# intro"], ["code", GEMMA_PY]]));
    c.onFileEvent(NB_URI, "changed");
    await new Promise((r) => setTimeout(r, 550));
    await c.idle();
    const moved = norm(host).filter((p) => !p.startsWith(`${ROOT}/b/`));
    expect(moved).toHaveLength(1);
    expect(moved[0]).toMatch(new RegExp(`^${CELL(1).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} NL201 14:20$`));
  });

  it("when the notebook cannot be loaded, the finding is on the .ipynb once, and moves to the cell while it is open", async () => {
    const { host, c } = await workspace((h) => (h.openNotebook = async () => undefined));
    await c.commands["normlint.lintWorkspace"]();
    const fileLevel = norm(host).filter((p) => p.startsWith(NB_URI));
    expect(fileLevel).toHaveLength(1);
    expect(host.diags(NB_URI).find((d) => d.code.value === "NL201")?.message).toMatch(/\(cell 3, line 10\)$/);
    // The user opens it: the cell has the finding, the file no longer does.
    const cells = JSON.parse(NOTEBOOK).cells.map((cell: { cell_type: string; source: string[] }, index: number) => ({
      index,
      uri: CELL(index),
      version: 1,
      kind: cell.cell_type === "code" ? "code" : "markup",
      languageId: cell.cell_type === "code" ? "python" : "markdown",
      text: cell.source.join(""),
    }));
    const nb: NotebookSnapshot = { uri: NB_URI, version: 1, notebookType: "jupyter-notebook", cells };
    host.notebooks.set(NB_URI, nb);
    c.onNotebookOpen(NB_URI);
    await c.idle();
    expect(norm(host).filter((p) => !p.startsWith(`${ROOT}/b/`))).toEqual([`${CELL(2)} NL201 9:20`]);
    host.notebooks.delete(NB_URI);
    c.onNotebookClose(NB_URI);
    await c.idle();
    expect(norm(host).filter((p) => !p.startsWith(`${ROOT}/b/`))).toEqual(fileLevel);
  });
});

describe("a virtual workspace (not file:)", () => {
  it("lints through the editor's file system, reads no checkpoint, and keeps the one set across open and close", async () => {
    const V = "vscode-vfs://github/o/r";
    const host = new FakeHost();
    host.folders = [V];
    host.isVirtualWorkspace = true;
    const input = folderInput({ modelType: "gemma2", fill: "ones" });
    const st = input.safetensors[0].source;
    host.file(`${V}/m/model.safetensors`, await st.read(0, st.size));
    host.file(`${V}/m/config.json`, new TextDecoder().decode(input.config!.bytes));
    host.file(`${V}/a/config.json`, LLAMA_UNUSED_EPS);
    host.file(`${V}/b/gemma.py`, GEMMA_PY);
    host.file(`${V}/nb.ipynb`, NOTEBOOK);
    controller = new Controller(host, { typeDelay: 10 });
    const c = controller;
    await c.commands["normlint.lintWorkspace"]();
    const found = problems(host);
    expect(found).toContain(`${V}/a/config.json NL101 0:24`);
    expect(found.some((p) => p.startsWith(`${V}/b/gemma.py NL201`))).toBe(true);
    expect(found.some((p) => p.startsWith("vscode-notebook-cell:/o/r/nb.ipynb#cell2 NL201"))).toBe(true);
    // No ranged reads there: the checkpoint beside m/config.json is never opened.
    expect(host.totalOpened).toBe(0);
    await openAndClose(host, c, `${V}/m/config.json`, "json");
    await openAndClose(host, c, `${V}/a/config.json`, "json");
    await openAndClose(host, c, `${V}/b/gemma.py`, "python");
    expect(problems(host)).toEqual(found);
  });
});
