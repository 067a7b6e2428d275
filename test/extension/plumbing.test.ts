// The small plain parts: debounce scheduler, diagnostics by owner, notebook mapping, URIs,
// .normlint.json ignore edits, config lookup, status text.
import { describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/engine/index";
import type { Finding } from "../../src/engine/types";
import { ConfigResolver } from "../../src/extension/config-lookup";
import { DiagnosticsBook } from "../../src/extension/diagnostics";
import { addIgnoreEdits, literalGlob, newConfigText, pointerAt, rangeAtPointer } from "../../src/extension/ignore";
import { cellStarts, findingsByCell, notebookCodeSize, notebookJson, utf8Length } from "../../src/extension/notebook";
import { Scheduler, type Timers } from "../../src/extension/scheduler";
import { activeFileStatus, statusView } from "../../src/extension/status";
import type { Diag, NotebookSnapshot } from "../../src/extension/types";
import { basename, decodedPath, dirname, encodeSegment, isInside, joinUri, relativePath } from "../../src/extension/uri";

/** Manual timers: `tick(ms)` fires what is due. */
function manualTimers() {
  let now = 0;
  let id = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    set: (fn, ms) => (due.set(++id, { at: now + ms, fn }), id),
    clear: (h) => void due.delete(h as number),
  };
  const tick = async (ms: number) => {
    now += ms;
    for (const [k, t] of [...due].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at > now) continue;
      due.delete(k);
      t.fn();
    }
    await new Promise((r) => setTimeout(r, 0));
  };
  return { timers, tick };
}

describe("Scheduler", () => {
  it("coalesces a burst into one run after the delay", async () => {
    const { timers, tick } = manualTimers();
    const s = new Scheduler(() => {}, timers);
    const runs: string[] = [];
    for (const v of ["a", "ab", "abc"]) {
      s.schedule("doc", 100, () => void runs.push(v));
      await tick(50);
    }
    expect(runs).toEqual([]);
    await tick(100);
    expect(runs).toEqual(["abc"]);
  });

  it("keys are independent; cancel drops pending work", async () => {
    const { timers, tick } = manualTimers();
    const s = new Scheduler(() => {}, timers);
    const runs: string[] = [];
    s.schedule("a", 10, () => void runs.push("a"));
    s.schedule("b", 10, () => void runs.push("b"));
    s.cancel("a");
    await tick(10);
    expect(runs).toEqual(["b"]);
  });

  it("never overlaps runs of one key; a request during a run runs once after it", async () => {
    const s = new Scheduler(() => {});
    let release!: () => void;
    const order: string[] = [];
    const first = s.run("doc", () => new Promise<void>((r) => ((release = r), order.push("start1"))));
    void s.run("doc", () => void order.push("second"));
    void s.run("doc", () => void order.push("third"));
    expect(order).toEqual(["start1"]);
    release();
    await first;
    await s.idle();
    expect(order).toEqual(["start1", "third"]);
  });

  it("reports a failing task and keeps going", async () => {
    const onError = vi.fn();
    const s = new Scheduler(onError);
    await s.run("doc", () => {
      throw new Error("boom");
    });
    await s.run("doc", () => {});
    expect(onError).toHaveBeenCalledWith("doc", expect.objectContaining({ message: "boom" }));
  });
});

describe("DiagnosticsBook", () => {
  const d = (message: string) => ({ message }) as Diag;
  it("merges owners per uri and clears only an owner's share", () => {
    const published = new Map<string, string[]>();
    const book = new DiagnosticsBook((uri, diags) => published.set(uri, diags.map((x) => x.message)));
    book.set("doc:c", new Map([["c", [d("own")]]]));
    book.set("folder:m", new Map([["c", [d("weights")]], ["w", [d("broken header")]]]));
    expect(published.get("c")).toEqual(["own", "weights"]);
    book.set("folder:m", new Map([["c", [d("weights 2")]]]));
    expect(published.get("w")).toEqual([]);
    book.clear("doc:c");
    expect(published.get("c")).toEqual(["weights 2"]);
    book.clearWhere((o) => o.startsWith("folder:"));
    expect(published.get("c")).toEqual([]);
    expect(book.owners()).toEqual([]);
  });
});

describe("notebooks", () => {
  const nb: NotebookSnapshot = {
    uri: "file:///nb.ipynb",
    version: 1,
    notebookType: "jupyter-notebook",
    cells: [
      { index: 0, uri: "c0", version: 1, kind: "code", languageId: "python", text: "import torch\n" },
      { index: 1, uri: "c1", version: 1, kind: "markup", languageId: "markdown", text: "# hi" },
      { index: 2, uri: "c2", version: 1, kind: "code", languageId: "python", text: "x = 'é'" },
      { index: 3, uri: "c3", version: 1, kind: "code", languageId: "sql", text: "select 1" },
    ],
  };

  it("writes every cell in order, Python code cells as code", () => {
    const json = JSON.parse(notebookJson(nb));
    expect(json.cells.map((c: { cell_type: string }) => c.cell_type)).toEqual(["code", "markdown", "code", "markdown"]);
    expect(json.metadata.language_info.name).toBe("python");
    expect(notebookCodeSize(nb)).toBe(13 + 8);
  });

  it("groups findings by data.cell; a notebook-wide finding goes to the first code cell's start", () => {
    const f = (over: Partial<Finding>) => ({ file: "nb", rule: "r", code: "NL200", severity: "info", messageId: "m", message: "", start: 3, end: 4, fixes: [], ...over }) as Finding;
    const by = findingsByCell(nb, [f({ data: { cell: 2 } }), f({ start: 99, end: 120, fixes: [{ title: "t", safe: true, edits: [] }] })]);
    expect([...by.keys()]).toEqual([2, 0]);
    expect(by.get(0)![0]).toMatchObject({ start: 0, end: 0, fixes: [] });
  });

  it("cell starts match the engine's module text (each cell ends with a newline)", () => {
    expect([...cellStarts([{ index: 0, source: "a\n" }, { index: 2, source: "bc" }, { index: 4, source: "d" }])]).toEqual([[0, 0], [2, 2], [4, 5]]);
  });

  it("utf8Length counts bytes", () => {
    expect(utf8Length("aé😀中")).toBe(1 + 2 + 4 + 3);
  });
});

describe("URIs", () => {
  it("splits, joins and relates encoded file URIs", () => {
    const u = "file:///home/me/my%20model/config.json";
    expect(decodedPath(u)).toBe("/home/me/my model/config.json");
    expect(basename(u)).toBe("config.json");
    expect(dirname(u)).toBe("file:///home/me/my%20model");
    expect(dirname("file:///a")).toBe("file:///");
    expect(dirname("file:///")).toBe("file:///");
    expect(joinUri("file:///home/me/my%20model", ".normlint.json")).toBe("file:///home/me/my%20model/.normlint.json");
    expect(encodeSegment("a(b)!'*")).toBe("a%28b%29%21%27%2A");
    expect(relativePath("file:///home/me", u)).toBe("my model/config.json");
    expect(relativePath("file:///home/me/x", u)).toBe("../my model/config.json");
    expect(isInside("file:///home/me", u)).toBe(true);
    expect(isInside("file:///home/m", u)).toBe(false);
    expect(isInside("vscode-vfs://github/a", "vscode-vfs://github/a/b")).toBe(true);
    expect(dirname("vscode-vfs://github/org/repo/config.json")).toBe("vscode-vfs://github/org/repo");
  });
});

describe(".normlint.json ignore entries", () => {
  const text = '{\n  "model_type": "llama",\n  "text_config": { "layer_norm_eps": 1e-5 },\n  "architectures": ["A", "B"]\n}';

  it("finds the JSON pointer of a finding on a key, a value, an array item, or the file", () => {
    const key = text.indexOf('"layer_norm_eps"');
    expect(pointerAt(text, key, key + 16)).toBe("/text_config/layer_norm_eps");
    const value = text.indexOf("1e-5");
    expect(pointerAt(text, value, value + 4)).toBe("/text_config/layer_norm_eps");
    const item = text.indexOf('"B"');
    expect(pointerAt(text, item, item + 3)).toBe("/architectures/1");
    expect(pointerAt(text, 0, 0)).toBe("");
    expect(pointerAt(text, 0, text.length)).toBe("");
  });

  it("the pointer it writes is the one the engine ignores", () => {
    const key = text.indexOf('"layer_norm_eps"');
    const entry = `${literalGlob("config.json")}#${pointerAt(text, key, key + 16)}`;
    const { loaded } = loadConfig(newConfigText(entry, "eps-key-unused"), "/w/.normlint.json", "/w");
    expect(loaded.ignores).toEqual([{ files: "./config.json", pointer: "/text_config/layer_norm_eps", rules: ["eps-key-unused"] }]);
  });

  it("re-finds a key or value range by pointer after edits", () => {
    const edited = text.replace("{\n", '{\n  "added": 1,\n');
    const r = rangeAtPointer(edited, "/model_type", false)!;
    expect(edited.slice(r.start, r.end)).toBe('"llama"');
    const k = rangeAtPointer(edited, "/model_type", true)!;
    expect(edited.slice(k.start, k.end)).toBe('"model_type"');
    expect(rangeAtPointer(edited, "/gone", false)).toBeUndefined();
  });

  it("escapes glob characters and anchors same-folder paths", () => {
    expect(literalGlob("config.json")).toBe("./config.json");
    expect(literalGlob("m[1]/config.json")).toBe("m\\[1\\]/config.json");
  });

  const apply = (t: string, edits: Array<{ start: number; end: number; text: string }>) =>
    [...edits].sort((a, b) => b.start - a.start).reduce((s, e) => s.slice(0, e.start) + e.text + s.slice(e.end), t);

  it("appends to an existing list, creating it when absent, and keeps comments", () => {
    const cfg = '{\n  // team rules\n  "rules": { "NL105": "off" }\n}\n';
    const once = apply(cfg, addIgnoreEdits(cfg, "./config.json#/a", "eps-key-unused")!);
    expect(once).toContain("// team rules");
    const { loaded, findings } = loadConfig(once, "/w/.normlint.json", "/w");
    expect(findings).toEqual([]);
    expect(loaded.ignores).toEqual([{ files: "./config.json", pointer: "/a", rules: ["eps-key-unused"] }]);
    const twice = apply(once, addIgnoreEdits(once, "./config.json#/a", "NL104")!);
    expect(loadConfig(twice, "/w/.normlint.json", "/w").loaded.ignores).toEqual([{ files: "./config.json", pointer: "/a", rules: ["eps-key-unused", "NL104"] }]);
    expect(addIgnoreEdits(twice, "./config.json#/a", "NL104")).toEqual([]);
  });

  it("needs no edit when a plain entry already ignores everything there; refuses a non-object file", () => {
    expect(addIgnoreEdits('{"ignore": ["./config.json#/a"]}', "./config.json#/a", "NL101")).toEqual([]);
    expect(addIgnoreEdits("[1]", "./config.json#/a", "NL101")).toBeUndefined();
    expect(addIgnoreEdits('{"ignore": 3}', "./config.json#/a", "NL101")).toBeUndefined();
  });
});

describe("ConfigResolver", () => {
  it("finds the nearest .normlint.json walking up, reads each folder once, and gives paths relative to it", async () => {
    const files: Record<string, string> = { "file:///w/.normlint.json": "{}", "file:///w/sub/.normlint.json": '{"rules": {"NL101": "off"}}' };
    const reads: string[] = [];
    const r = new ConfigResolver(async (u) => (reads.push(u), files[u]), loadConfig);
    const deep = await r.forFile("file:///w/sub/a/b/config.json");
    expect(deep?.uri).toBe("file:///w/sub/.normlint.json");
    expect(ConfigResolver.relPath(deep, "file:///w/sub/a/b/config.json")).toBe("a/b/config.json");
    expect((await r.forFile("file:///w/x/config.json"))?.uri).toBe("file:///w/.normlint.json");
    await r.forFile("file:///w/sub/a/b/other.py");
    expect(reads.filter((u) => u === "file:///w/sub/a/.normlint.json")).toHaveLength(1);
    expect(await r.forFile("untitled:Untitled-1")).toBeUndefined();
    expect(await new ConfigResolver(async () => undefined, loadConfig).forFile("file:///a/b.py")).toBeUndefined();
  });
});

describe("status", () => {
  it("is an error after a failure or with a broken config, a warning when something was too large", () => {
    const base = { filesLinted: 1, busy: 0, tooLarge: [], configProblems: [], virtual: false };
    expect(statusView(base)).toEqual({ text: "normlint", detail: "1 file linted", severity: "info", busy: false });
    expect(statusView({ ...base, tooLarge: ["a.json"] })).toMatchObject({ severity: "warning", detail: "1 file linted; 1 over the size cap (a.json)" });
    expect(statusView({ ...base, busy: 1, lastError: { message: "boom", context: "x", time: new Date() } })).toMatchObject({ severity: "error", busy: true, text: "$(error) normlint" });
    expect(statusView({ ...base, virtual: true }).detail).toContain("checkpoints not read");
    // The active file's state leads; a click goes where its findings are.
    const view = statusView(base);
    expect(activeFileStatus(view, "m/config.json", { errors: 2, warnings: 1, infos: 0 })).toMatchObject({
      text: "$(error) normlint: 2 errors, 1 warning",
      detail: "1 file linted",
      command: { id: "workbench.actions.view.problems", title: "Show Problems" },
    });
    expect(activeFileStatus(view, "m/config.json", { errors: 0, warnings: 0, infos: 0 })).toMatchObject({ text: "$(check) normlint: no findings", command: { id: "normlint.showOutput" } });
    // normlint's own failure outranks the file's findings: the click opens the output with the error.
    const failed = statusView({ ...base, lastError: { message: "boom", context: "x", time: new Date() } });
    expect(activeFileStatus(failed, "m/config.json", { errors: 1, warnings: 0, infos: 0 })).toMatchObject({ text: "$(error) normlint", command: { id: "normlint.showOutput" } });
  });
});
