// The extension's fixes leave undo intact: they reach VS Code only as WorkspaceEdits on the open
// document (which the editor's undo stack records), never as writes to disk. Checked in the code
// (no module of src/extension can write a file) and in behaviour (fix-all edits the document, not
// the file, with a small edit whose inverse restores the text exactly).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Controller } from "../../src/extension/controller";
import { Positions } from "../../src/extension/translate";
import type { WorkspaceEditSpec } from "../../src/extension/types";
import { FakeHost } from "./fake-host";

const SRC = join(__dirname, "..", "..", "src", "extension");
const sources = readdirSync(SRC)
  .filter((f) => f.endsWith(".ts"))
  .map((f) => ({ file: f, text: readFileSync(join(SRC, f), "utf8") }));

let controller: Controller | undefined;
afterEach(() => controller?.dispose());

describe("no file writes in the extension", () => {
  it("imports no Node file system module and calls no writing API", () => {
    for (const { file, text } of sources) {
      expect(text, file).not.toMatch(/from "(node:)?fs(\/promises)?"|require\("(node:)?fs/);
      expect(text, file).not.toMatch(/\bfs\.(write|rename|delete|copy|createDirectory|rm|unlink|append|truncate)\w*\s*\(/);
    }
  });

  it("uses only workspace.fs's reading calls, and turns edits into a vscode.WorkspaceEdit", () => {
    const host = sources.find((s) => s.file === "host.ts")!.text;
    const calls = [...new Set([...host.matchAll(/workspace\.fs\.(\w+)/g)].map((m) => m[1]))].sort();
    expect(calls).toEqual(["readDirectory", "readFile", "stat"]);
    expect(host).toMatch(/applyEdit: \(spec\) => Promise\.resolve\(vscode\.workspace\.applyEdit\(toWorkspaceEdit\(spec\)\)\)/);
    expect(host).toMatch(/new vscode\.WorkspaceEdit\(\)/);
  });
});

describe("fix-all", () => {
  const BROKEN = '\uFEFF{\n  "model_type": "llama",\n  "hidden_size": 4096,\n  "rms_norm_eps": 1e-6,\n}\n';

  /** The text after `spec`, and the text after applying its inverse (what undo does). */
  function applyAndUndo(text: string, spec: WorkspaceEditSpec) {
    const pos = new Positions(text);
    const edits = spec.edits.map((e) => ({ start: pos.offset(e.range.start), end: pos.offset(e.range.end), text: e.newText })).sort((a, b) => a.start - b.start);
    let after = "";
    let at = 0;
    // The inverse edits, in the coordinates of the text after the edits (as an undo stack keeps them).
    const inverse: Array<{ start: number; end: number; text: string }> = [];
    for (const e of edits) {
      after += text.slice(at, e.start);
      inverse.push({ start: after.length, end: after.length + e.text.length, text: text.slice(e.start, e.end) });
      after += e.text;
      at = e.end;
    }
    after += text.slice(at);
    let undone = after;
    for (const e of inverse.reverse()) undone = undone.slice(0, e.start) + e.text + undone.slice(e.end);
    return { after, undone };
  }

  it("Fix All in File edits the open document through applyEdit, leaves the file on disk alone, and its inverse restores the text", async () => {
    const host = new FakeHost();
    controller = new Controller(host, { typeDelay: 20 });
    const onDisk = new TextEncoder().encode(BROKEN);
    host.files.set(host.file("m/config.json", onDisk), onDisk);
    const uri = host.open("m/config.json", BROKEN);
    host.active = uri;
    controller.start();
    await controller.idle();
    await controller.commands["normlint.fixAllInFile"]();
    expect(host.edits).toHaveLength(1);
    const [spec] = host.edits;
    expect(spec.creates).toEqual([]);
    expect(new Set(spec.edits.map((e) => e.uri))).toEqual(new Set([uri]));
    expect(host.files.get(uri)).toEqual(onDisk);
    const { after, undone } = applyAndUndo(BROKEN, spec);
    expect(after).toBe('{\n  "model_type": "llama",\n  "hidden_size": 4096,\n  "rms_norm_eps": 1e-6\n}\n');
    expect(undone).toBe(BROKEN);
    // One minimal edit: from the BOM to the trailing comma, not the whole document.
    const replaced = spec.edits.reduce((n, e) => n + (new Positions(BROKEN).offset(e.range.end) - new Positions(BROKEN).offset(e.range.start)), 0);
    expect(replaced).toBeLessThan(BROKEN.length);
  });

  it("the source.fixAll code action (fix on save) carries its edit for VS Code to apply; nothing is written meanwhile", async () => {
    const host = new FakeHost();
    controller = new Controller(host, { typeDelay: 20 });
    const uri = host.open("m/config.json", BROKEN);
    controller.start();
    await controller.idle();
    const [fixAll] = controller.provideCodeActions(uri, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, { quickfix: false, fixAll: true });
    expect(fixAll.kind).toBe("source.fixAll.normlint");
    expect(host.edits).toEqual([]);
    expect(host.files.has(uri)).toBe(false);
    const { undone } = applyAndUndo(BROKEN, fixAll.edit!);
    expect(undone).toBe(BROKEN);
  });
});
