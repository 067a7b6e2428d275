// The extension's behaviour without VS Code: the controller driven through a fake host, with the
// real engine (lazily imported) and the real Python parser.
import { afterEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildSafetensors } from "../harness/checkpoint-builder";
import { folderInput, QWEN3_FP16_CONFIG, QWEN3_FP16_MODELING } from "../harness/model-folder";
import { Controller, documentKind } from "../../src/extension/controller";
import type { Uri } from "../../src/extension/types";
import { FakeHost, ROOT } from "./fake-host";
import { GEMMA_PY } from "./samples";

const LLAMA_UNUSED_EPS = `{
  "architectures": ["LlamaForCausalLM"],
  "hidden_size": 2048,
  "layer_norm_eps": 1e-05,
  "model_type": "llama"
}
`;

let controller: Controller | undefined;
afterEach(() => controller?.dispose());

function setup(configure?: (h: FakeHost) => void) {
  const host = new FakeHost();
  configure?.(host);
  controller = new Controller(host, { typeDelay: 20 });
  return { host, c: controller };
}

describe("config.json diagnostics", () => {
  it("publishes model-config findings with source, docs link and 0-based ranges", async () => {
    const { host, c } = setup();
    const uri = host.open("m/config.json", LLAMA_UNUSED_EPS);
    c.start();
    await c.idle();
    const [d] = host.diags(uri);
    expect(d.source).toBe("normlint");
    expect(d.code).toEqual({ value: "NL101", target: "file:///ext/docs/rules/eps-key-unused.md" });
    // `"layer_norm_eps"` is on the fourth line (index 3), after two spaces.
    expect(d.range).toEqual({ start: { line: 3, character: 2 }, end: { line: 3, character: 18 } });
    expect(host.status?.detail).toContain("1 file linted");
  });

  it("leaves a config.json that is not a model config alone", async () => {
    const { host, c } = setup();
    const uri = host.open("tsconfig/config.json", '{"compilerOptions": {"strict": true}}');
    c.start();
    await c.idle();
    expect(host.diags(uri)).toEqual([]);
  });

  it("lints while typing (debounced) and clears on close", async () => {
    const { host, c } = setup();
    const uri = host.open("m/config.json", '{"model_type": "llama", "rms_norm_eps": 1e-6}');
    c.start();
    await c.idle();
    expect(host.diags(uri)).toEqual([]);
    host.edit(uri, '{"model_type": "llama", "rms_norm_eps": "1e-6"}');
    c.onChange(uri);
    host.edit(uri, '{"model_type": "llama", "rms_norm_eps": -1}');
    c.onChange(uri);
    await c.idle();
    expect(host.codes(uri)).toEqual(["NL103@0:40"]);
    c.onClose(uri);
    expect(host.diagnostics.has(uri)).toBe(false);
  });

  it("with normlint.run onSave, waits for the save", async () => {
    const { host, c } = setup((h) => h.settingsByScope.set("*", { run: "onSave" }));
    const uri = host.open("m/config.json", '{"model_type": "llama", "rms_norm_eps": 1e-6}');
    c.start();
    await c.idle();
    host.edit(uri, '{"model_type": "llama", "rms_norm_eps": -1}');
    c.onChange(uri);
    await c.idle();
    expect(host.diags(uri)).toEqual([]);
    c.onSave(uri);
    await c.idle();
    expect(host.codes(uri)).toEqual(["NL103@0:40"]);
  });

  it("applies rule customizations: severity override, off, and ! negation", async () => {
    const { host, c } = setup((h) =>
      h.settingsByScope.set("*", {
        "rules.customizations": [
          { rule: "*", severity: "info" },
          { rule: "!eps-*", severity: "off" },
        ],
      }),
    );
    const uri = host.open("m/config.json", '{"model_type": "llama", "layer_norm_eps": 1e-5, "rms_norm_eps": -1, "model_typo": 1}');
    c.start();
    await c.idle();
    const got = host.diags(uri).map((d) => `${d.finding.rule}:${d.severity}`).sort();
    expect(got).toEqual(["eps-key-unused:info", "eps-value-invalid:info"]);
  });

  it("skips a file over the size cap with a diagnostic, one warning and a status notice", async () => {
    const { host, c } = setup((h) => h.settingsByScope.set("*", { maxFileSize: 64 }));
    const big = host.open("a/config.json", `{"model_type": "llama", "pad": "${"x".repeat(200)}"}`);
    const big2 = host.open("b/config.json", `{"model_type": "llama", "pad": "${"y".repeat(200)}"}`);
    c.start();
    await c.idle();
    expect(host.diags(big).map((d) => d.finding.rule)).toEqual(["file-too-large"]);
    expect(host.diags(big2).map((d) => d.finding.rule)).toEqual(["file-too-large"]);
    expect(host.warnings).toHaveLength(1);
    expect(host.warnings[0]).toMatch(/over the 0\.1 KiB size cap/);
    expect(host.status).toMatchObject({ severity: "warning" });
    expect(host.status?.detail).toContain("2 over the size cap");
  });

  it("gives each workspace folder its own .normlint.json (multi-root) and shows config problems", async () => {
    const { host, c } = setup((h) => {
      h.folders = [`${ROOT}/a`, `${ROOT}/b`];
      h.file("a/.normlint.json", '{"rules": {"NL101": "off"}}');
      h.file("b/.normlint.json", '{"rules": {"NL101": "error", "not-a-rule": "off"}}');
    });
    const text = '{"model_type": "llama", "layer_norm_eps": 1e-5}';
    const a = host.open("a/m/config.json", text);
    const b = host.open("b/m/config.json", text);
    c.start();
    await c.idle();
    expect(host.diags(a)).toEqual([]);
    expect(host.diags(b).map((d) => `${d.code.value}:${d.severity}`)).toEqual(["NL101:error"]);
    expect(host.codes(`${ROOT}/b/.normlint.json`)).toEqual(["NL005@0:29"]);
    expect(host.status?.severity).toBe("error");
  });

  it("re-resolves when a .normlint.json changes on disk", async () => {
    const { host, c } = setup();
    const uri = host.open("m/config.json", '{"model_type": "llama", "layer_norm_eps": 1e-5}');
    c.start();
    await c.idle();
    expect(host.diags(uri)).toHaveLength(1);
    const cfg = host.file(".normlint.json", '{"rules": {"eps-key-unused": "off"}}');
    c.onFileEvent(cfg, "created");
    await c.idle();
    expect(host.diags(uri)).toEqual([]);
  });

  it("ignores views of other documents (git diffs, output) and notebook cells outside their notebook", () => {
    expect(documentKind({ uri: "git:/ws/m/config.json?%7B%7D", languageId: "json" })).toBeUndefined();
    expect(documentKind({ uri: "output:normlint", languageId: "python" })).toBeUndefined();
    expect(documentKind({ uri: "vscode-notebook-cell:/ws/nb.ipynb#c0", languageId: "python" })).toBeUndefined();
    expect(documentKind({ uri: "untitled:Untitled-1", languageId: "python" })).toBe("python");
    expect(documentKind({ uri: "vscode-vfs://github/o/r/config.json", languageId: "json" })).toBe("config");
    expect(documentKind({ uri: "file:///ws/config.json", languageId: "plaintext" })).toBeUndefined();
    expect(documentKind({ uri: "file:///ws/.normlint.json", languageId: "jsonc" })).toBe("normlint-config");
  });

  it("is off when normlint.enable is false for the file's folder", async () => {
    const { host, c } = setup((h) => h.settingsByScope.set(`${ROOT}/off`, { enable: false }));
    const on = host.open("on/config.json", '{"model_type": "llama", "layer_norm_eps": 1e-5}');
    const off = host.open("off/config.json", '{"model_type": "llama", "layer_norm_eps": 1e-5}');
    c.start();
    await c.idle();
    expect(host.diags(on)).toHaveLength(1);
    expect(host.diags(off)).toEqual([]);
  });
});

/** Records, for each parse the controller's Python parser does from now on, whether it reused a tree. */
function parsesWithTree(c: Controller): boolean[] {
  const parser = (c as unknown as { parser: { parse: (text: string, previous?: unknown) => unknown } }).parser;
  const calls: boolean[] = [];
  const parse = parser.parse.bind(parser);
  parser.parse = (text, previous) => (calls.push(previous !== undefined), parse(text, previous));
  return calls;
}

describe("incremental reparse of open Python files", () => {
  it("reparses with the kept tree after offset changes, and finds what a fresh lint finds", async () => {
    const { host, c } = setup();
    const uri = host.open("pkg/gemma.py", GEMMA_PY);
    c.start();
    await c.idle();
    expect(host.codes(uri).some((x) => x.startsWith("NL201"))).toBe(true);
    const calls = parsesWithTree(c);
    // Two changes in one event, as VS Code sends them (each against the text after the ones before).
    let text = GEMMA_PY;
    const changes = [
      { from: "(y * self.weight.float())", to: "(y * (1.0 + self.weight.float()))" },
      { from: "eps=1e-6", to: "eps=1e-5" },
    ].map(({ from, to }) => {
      const start = text.indexOf(from);
      text = text.slice(0, start) + to + text.slice(start + from.length);
      return { start, end: start + from.length, text: to };
    });
    host.edit(uri, text);
    c.onChange(uri, changes);
    await c.idle();
    expect(calls).toEqual([true]);
    expect(host.codes(uri).some((x) => x.startsWith("NL201"))).toBe(false);
    // Undo by changes again: the finding is back, still reparsed incrementally.
    const undo = changes.reverse().map((ch) => ({ start: ch.start, end: ch.start + ch.text.length, text: text.slice(0, 0) + GEMMA_PY.slice(ch.start, ch.end) }));
    let back = text;
    for (const u of undo) back = back.slice(0, u.start) + u.text + back.slice(u.end);
    expect(back).toBe(GEMMA_PY);
    host.edit(uri, back);
    c.onChange(uri, undo);
    await c.idle();
    expect(calls).toEqual([true, true]);
    const fresh = new FakeHost();
    const other = new Controller(fresh, { typeDelay: 20 });
    const u2 = fresh.open("pkg/gemma.py", GEMMA_PY);
    other.start();
    await other.idle();
    expect(host.codes(uri)).toEqual(fresh.codes(u2));
    other.dispose();
  });

  it("parses from scratch when the changes do not add up to the document's text", async () => {
    const { host, c } = setup();
    const uri = host.open("pkg/gemma.py", GEMMA_PY);
    c.start();
    await c.idle();
    const calls = parsesWithTree(c);
    const text = GEMMA_PY.replace("(y * self.weight.float())", "(y * (1 + self.weight.float()))");
    host.edit(uri, text);
    c.onChange(uri, [{ start: 0, end: 3, text: "#" }]); // wrong offsets: the tree is not reused
    await c.idle();
    host.edit(uri, GEMMA_PY);
    c.onChange(uri); // no offsets at all
    await c.idle();
    host.edit(uri, text);
    c.onChange(uri, [{ start: 10 ** 6, end: 10 ** 6 + 1, text: "" }]); // out of range
    await c.idle();
    expect(calls).toEqual([false, false, false]);
    expect(host.codes(uri).some((x) => x.startsWith("NL201"))).toBe(false);
  });
});

describe("code actions", () => {
  it("offers the engine's fix, an ignore entry and the docs; the ignore entry creates .normlint.json", async () => {
    const { host, c } = setup();
    const uri = host.open("models/m/config.json", LLAMA_UNUSED_EPS);
    c.start();
    await c.idle();
    const actions = c.provideCodeActions(uri, { start: { line: 3, character: 5 }, end: { line: 3, character: 5 } }, { quickfix: true, fixAll: false });
    expect(actions.map((a) => a.title)).toEqual([
      "Rename `layer_norm_eps` to `rms_norm_eps`",
      "Ignore eps-key-unused here (in .normlint.json)",
      "Show documentation for NL101 eps-key-unused",
    ]);
    expect(actions[0].isPreferred).toBe(false);
    expect(actions[0].edit?.edits).toEqual([{ uri, range: { start: { line: 3, character: 2 }, end: { line: 3, character: 18 } }, newText: '"rms_norm_eps"' }]);
    const edit = await actions[1].resolve!();
    expect(edit?.creates).toEqual([`${ROOT}/.normlint.json`]);
    // After the edit, the action's command shows the file it created.
    expect(actions[1].command?.command).toBe("normlint.showIgnoreFile");
    await c.commands["normlint.showIgnoreFile"]();
    expect(host.shown).toEqual([`${ROOT}/.normlint.json`]);
    expect(JSON.parse(edit!.edits[0].newText)).toEqual({ ignore: [{ path: "models/m/config.json#/layer_norm_eps", rules: ["eps-key-unused"] }] });
    // Once written, the engine honours it.
    host.file(".normlint.json", edit!.edits[0].newText);
    c.onFileEvent(`${ROOT}/.normlint.json`, "created");
    await c.idle();
    expect(host.diags(uri)).toEqual([]);
  });

  it("adds to an existing .normlint.json with minimal edits that keep its comments", async () => {
    const { host, c } = setup();
    host.file("m/.normlint.json", '{\n  // ours\n  "rules": { "NL105": "off" }\n}\n');
    const uri = host.open("m/config.json", LLAMA_UNUSED_EPS);
    c.start();
    await c.idle();
    const [, ignore] = c.provideCodeActions(uri, host.diags(uri)[0].range, { quickfix: true, fixAll: false });
    const edit = (await ignore.resolve!())!;
    expect(edit.creates).toEqual([]);
    host.applyToDocs(edit);
    const text = new TextDecoder().decode(host.files.get(`${ROOT}/m/.normlint.json`));
    expect(text).toContain("// ours");
    expect(text).toContain('"ignore": [');
    expect(text).toContain('"path": "./config.json#/layer_norm_eps"');
    c.onFileEvent(`${ROOT}/m/.normlint.json`, "changed");
    await c.idle();
    expect(host.diags(uri)).toEqual([]);
  });

  it("fix-all applies only safe fixes, without waiting, and returns nothing when there are none", async () => {
    const { host, c } = setup();
    const uri = host.open("m/config.json", '\uFEFF{"model_type": "llama", "layer_norm_eps": 1e-5}');
    c.start();
    await c.idle();
    const [fixAll] = c.provideCodeActions(uri, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, { quickfix: false, fixAll: true });
    expect(fixAll.kind).toBe("source.fixAll.normlint");
    // The BOM removal is safe; the rename of layer_norm_eps changes numerics and is left out.
    expect(fixAll.edit?.edits).toEqual([{ uri, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, newText: "" }]);
    host.applyToDocs(fixAll.edit!);
    c.onChange(uri);
    await c.idle();
    expect(c.provideCodeActions(uri, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, { quickfix: false, fixAll: true })).toEqual([]);
  });

  it("fix-all on stale findings lints the current text synchronously", async () => {
    const { host, c } = setup((h) => h.settingsByScope.set("*", { run: "onSave" }));
    const uri = host.open("m/config.json", '{"model_type": "llama"}');
    c.start();
    await c.idle();
    host.edit(uri, '\uFEFF{"model_type": "llama"}');
    const actions = c.provideCodeActions(uri, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, { quickfix: true, fixAll: true });
    expect(actions.map((a) => a.kind)).toEqual(["source.fixAll.normlint"]);
  });

  it("Python: the engine's suppression comment is the ignore action", async () => {
    const { host, c } = setup();
    const uri = host.open("gemma.py", GEMMA_PY);
    c.start();
    await c.idle();
    const d = host.diags(uri).find((x) => x.finding.rule === "norm-missing-unit-offset")!;
    expect(d.range.start.line).toBe(14);
    const titles = c.provideCodeActions(uri, d.range, { quickfix: true, fixAll: false }).map((a) => a.title);
    expect(titles).toContain("Suppress `norm-missing-unit-offset` on this line");
    expect(titles).not.toContain("Ignore norm-missing-unit-offset here (in .normlint.json)");
  });

  it("Python: the config.json beside a file names its family (a generic RMSNorm in a Gemma folder)", async () => {
    const { host, c } = setup();
    const port = [
      "import torch",
      "from torch import nn",
      "",
      "class RMSNorm(nn.Module):",
      "    def __init__(self, dim, eps=1e-6):",
      "        super().__init__()",
      "        self.eps = eps",
      "        self.weight = nn.Parameter(torch.ones(dim))",
      "",
      "    def forward(self, x):",
      "        out = x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps)",
      "        return (out * self.weight.float()).type_as(x)",
      "",
    ].join("\n");
    const alone = host.open("plain/port.py", port);
    host.file("gemma/config.json", '{"model_type": "gemma"}');
    const governed = host.open("gemma/port.py", port);
    c.start();
    await c.idle();
    // Without a config the generic name names no family; beside Gemma's config it is held to Gemma's 1 + w.
    expect(host.diags(alone).filter((d) => d.finding.severity !== "info").map((d) => d.finding.message)).toEqual([]);
    const d = host.diags(governed).find((x) => x.finding.rule === "norm-missing-unit-offset");
    expect(d?.finding.message).toContain("config.json governing its folder");
  });

  it("Fix All in File applies safe fixes repeatedly as one minimal edit", async () => {
    const { host, c } = setup();
    const uri = host.open("m/config.json", '\uFEFF{"model_type": "llama", "rms_norm_eps": 1e-6,}');
    host.active = uri;
    c.start();
    await c.idle();
    await c.commands["normlint.fixAllInFile"]();
    expect(host.edits).toHaveLength(1);
    host.applyToDocs(host.edits[0]);
    expect(host.docs.get(uri)!.text).toBe('{"model_type": "llama", "rms_norm_eps": 1e-6}');
  });
});

describe("hovers", () => {
  it("explains a config key from the knowledge base, with its source", async () => {
    const { host, c } = setup();
    const uri = host.open("m/config.json", '{\n  "model_type": "gemma2",\n  "rms_norm_eps": 1e-6\n}');
    c.start();
    await c.idle();
    const h = await c.provideHover(uri, { line: 2, character: 5 });
    expect(h?.markdown).toContain("`Gemma2Config` reads `rms_norm_eps` (default `1e-6`)");
    expect(h?.markdown).toContain("x * (1 + weight)");
    expect(h?.markdown).toMatch(/\]\(https:\/\/github\.com\/huggingface\/transformers\/blob\/v5\.18\.0\/src\/transformers\/models\/gemma2\/configuration_gemma2\.py#L\d+\)/);
    expect(h?.range).toEqual({ start: { line: 2, character: 2 }, end: { line: 2, character: 16 } });
    const unused = host.open("n/config.json", '{"model_type": "llama", "layer_norm_eps": 1e-5}');
    c.onOpen(unused);
    await c.idle();
    expect((await c.provideHover(unused, { line: 0, character: 30 }))?.markdown).toContain("`LlamaConfig` never reads `layer_norm_eps`; its norms use `rms_norm_eps`");
    expect(await c.provideHover(unused, { line: 0, character: 0 })).toBeUndefined();
  });

  it("says what the analysis understood of a Python norm class", async () => {
    const { host, c } = setup();
    const uri = host.open("gemma.py", GEMMA_PY);
    c.start();
    await c.idle();
    const h = await c.provideHover(uri, { line: 5, character: 10 });
    expect(h?.markdown).toContain("`GemmaRMSNorm`");
    expect(h?.markdown).toContain("- computes: RMSNorm; statistics in fp32");
    expect(h?.markdown).toContain("- scale: `x * weight`");
    expect(h?.markdown).toMatch(/- family: `gemma` \(found from a `# normlint: model_type=` comment\) expects RMSNorm, x \* \(1 \+ weight\)/);
    expect(h?.range.start).toEqual({ line: 5, character: 6 });
  });
});

describe("notebooks", () => {
  const cells = (texts: Array<[string, string]>) =>
    texts.map(([kind, text], index) => ({ index, uri: `vscode-notebook-cell:/ws/nb.ipynb#cell${index}`, version: 1, kind: kind === "md" ? ("markup" as const) : ("code" as const), languageId: kind === "md" ? "markdown" : "python", text }));

  it("maps findings to the cell they are in, with cell-relative lines, across cells", async () => {
    const { host, c } = setup();
    const [head, body] = [GEMMA_PY.slice(0, GEMMA_PY.indexOf("class")), GEMMA_PY.slice(GEMMA_PY.indexOf("class"))];
    const nbUri = `${ROOT}/nb.ipynb`;
    host.notebooks.set(nbUri, { uri: nbUri, version: 1, notebookType: "jupyter-notebook", cells: cells([["py", head], ["md", "# notes"], ["py", body]]) });
    c.start();
    await c.idle();
    const cell2 = "vscode-notebook-cell:/ws/nb.ipynb#cell2";
    const d = host.diags(cell2).find((x) => x.finding.rule === "norm-missing-unit-offset");
    expect(d?.range.start.line).toBe(9);
    expect(host.diags("vscode-notebook-cell:/ws/nb.ipynb#cell0")).toEqual([]);
    const h = await c.provideHover(cell2, { line: 0, character: 8 });
    expect(h?.markdown).toContain("`GemmaRMSNorm`");
    expect(h?.range).toEqual({ start: { line: 0, character: 6 }, end: { line: 0, character: 18 } });
    c.onNotebookClose(nbUri);
    expect(host.diags(cell2)).toEqual([]);
  });
});

describe("model folders", () => {
  /** examples/gpt-scale-shift in the fake workspace: the code names its norm parameters scale/shift, the checkpoint weight/bias. */
  function gptFolder(host: FakeHost, dir: string): Uri {
    const ex = join(__dirname, "..", "..", "examples", "gpt-scale-shift");
    const tensors: Record<string, { dtype: "F32"; shape: number[]; fill: "llama-like" | "zeros" }> = {};
    for (const n of ["trf_blocks.0.norm1", "trf_blocks.0.norm2", "final_norm"]) {
      tensors[`${n}.weight`] = { dtype: "F32", shape: [768], fill: "llama-like" };
      tensors[`${n}.bias`] = { dtype: "F32", shape: [768], fill: "zeros" };
    }
    host.file(`${dir}/model.safetensors`, buildSafetensors({ tensors }).bytes);
    host.file(`${dir}/modeling.py`, readFileSync(join(ex, "modeling.py"), "utf8"));
    const config = readFileSync(join(ex, "config.json"), "utf8");
    host.file(`${dir}/config.json`, config);
    return host.open(`${dir}/config.json`, config);
  }

  it("compares the folder's code with the checkpoint's keys (NL304) as the CLI does, and settles it with a loader elsewhere in the project", async () => {
    const { host, c } = setup();
    host.file(".git/HEAD", "ref: refs/heads/main\n");
    gptFolder(host, "models/gpt");
    c.start();
    await c.idle();
    const code = `${ROOT}/models/gpt/modeling.py`;
    const keys = () => host.diags(code).filter((d) => d.finding.rule === "checkpoint-norm-keys-mismatch");
    expect(keys().map((d) => d.severity)).toEqual(["error"]);
    expect(keys()[0].range.start.line).toBeGreaterThan(0);
    // A loader in another package assigns the code's names: the finding is a note that names it.
    const loader = [
      "import torch",
      "",
      "def load_weights_into_gpt(gpt, params):",
      '    gpt.final_norm.scale = torch.nn.Parameter(torch.as_tensor(params["final_norm.weight"]))',
      '    gpt.final_norm.shift = torch.nn.Parameter(torch.as_tensor(params["final_norm.bias"]))',
      "",
    ].join("\n");
    const uri = host.open("pkg/convert.py", loader);
    c.onOpen(uri);
    await c.idle();
    expect(keys().map((d) => d.severity)).toEqual(["info"]);
    expect(keys()[0].message).toMatch(/pkg\/convert\.py maps `(scale|shift)` while loading/);
    // The loader stops mapping them: the error is back, without re-reading the checkpoint.
    host.edit(uri, loader.replace(/scale|shift/g, "other"));
    c.onChange(uri);
    await c.idle();
    expect(keys().map((d) => d.severity)).toEqual(["error"]);
  });

  it("judges a folder's code against its config.json with no checkpoint (NL218, NL219), as the CLI does", async () => {
    const { host, c } = setup();
    host.file("q/modeling.py", QWEN3_FP16_MODELING);
    host.file("q/config.json", QWEN3_FP16_CONFIG);
    host.open("q/config.json", QWEN3_FP16_CONFIG);
    c.start();
    await c.idle();
    const ours = host.diags(`${ROOT}/q/modeling.py`).filter((d) => /^NL21[89]$/.test(d.finding.code));
    expect(ours.map((d) => `${d.finding.code}:${d.range.start.line}`).sort()).toEqual(["NL218:15", "NL218:16", "NL219:15"]);
  });

  it("re-reads the folder when its code is saved: renaming the parameters to the checkpoint's names clears NL304", async () => {
    const { host, c } = setup();
    gptFolder(host, "m");
    c.start();
    await c.idle();
    const code = `${ROOT}/m/modeling.py`;
    const keys = () => host.diags(code).filter((d) => d.finding.rule === "checkpoint-norm-keys-mismatch");
    expect(keys()).toHaveLength(1);
    const text = new TextDecoder().decode(host.files.get(code)!).replace(/self\.scale\b/g, "self.weight").replace(/self\.shift\b/g, "self.bias");
    host.file("m/modeling.py", text);
    const uri = host.open("m/modeling.py", text);
    c.onSave(uri);
    await c.idle();
    expect(keys()).toEqual([]);
  });

  it("anchors weight findings on config.json with the checkpoint as related information, and moves them while typing", async () => {
    const { host, c } = setup();
    const input = folderInput({ modelType: "gemma2", fill: "ones" });
    const configText = new TextDecoder().decode(input.config!.bytes);
    const st = input.safetensors[0].source;
    const bytes = await st.read(0, st.size);
    host.file("m/model.safetensors", bytes);
    host.file("m/config.json", configText);
    const uri = host.open("m/config.json", configText);
    c.start();
    await c.idle();
    const w = host.diags(uri).find((d) => d.finding.rule === "checkpoint-norm-offset-mismatch");
    expect(w, JSON.stringify(host.diags(uri).map((d) => d.finding.rule))).toBeDefined();
    expect(w!.related[0]).toMatchObject({ uri: `${ROOT}/m/model.safetensors`, message: "norm weights read here" });
    expect(w!.range.start.line).toBe(1);
    expect(host.opened).toBe(0);
    // Two lines inserted above model_type: the finding follows its key without re-reading weights.
    host.edit(uri, configText.replace("{\n", '{\n  "a": 1,\n  "b": 2,\n'));
    c.onChange(uri);
    await c.idle();
    expect(host.diags(uri).find((d) => d.finding.rule === "checkpoint-norm-offset-mismatch")!.range.start.line).toBe(3);
    // Saving the typed text re-reads the checkpoints once; saving it again does not.
    const reads = host.totalOpened;
    c.onSave(uri);
    await c.idle();
    expect(host.totalOpened).toBe(reads + 1);
    c.onSave(uri);
    await c.idle();
    expect(host.totalOpened).toBe(reads + 1);
    // Sampling off: headers only, so no statistics and no offset finding.
    host.settingsByScope.set("*", { "weights.sampling": "off" });
    c.onSettingsChanged();
    await c.idle();
    expect(host.diags(uri).find((d) => d.finding.rule === "checkpoint-norm-offset-mismatch")).toBeUndefined();
    c.onClose(uri);
    expect(host.diagnostics.size).toBe(0);
  });
});

describe("params.json beside config.json (NL313)", () => {
  it("compares the open config.json with params.json on disk, and follows params.json's changes", async () => {
    const { host, c } = setup();
    const configText = '{\n  "model_type": "llama",\n  "rms_norm_eps": 1e-6\n}\n';
    host.file("m/config.json", configText);
    host.file("m/params.json", '{"dim": 64, "norm_eps": 1e-05}');
    const uri = host.open("m/config.json", configText);
    c.start();
    await c.idle();
    const d = host.diags(uri).find((x) => x.finding.rule === "params-config-eps-mismatch");
    expect(d, JSON.stringify(host.diags(uri).map((x) => x.finding.rule))).toBeDefined();
    expect(d!.range.start.line).toBe(2);
    expect(d!.related[0]).toMatchObject({ uri: `${ROOT}/m/params.json`, message: "`norm_eps` is set here" });
    host.file("m/params.json", '{"dim": 64, "norm_eps": 1e-06}');
    c.onFileEvent(`${ROOT}/m/params.json`, "changed");
    await c.idle();
    expect(host.diags(uri).find((x) => x.finding.rule === "params-config-eps-mismatch")).toBeUndefined();
  });
});

describe("commands", () => {
  it("Lint Workspace lints closed files from disk, puts closed notebooks' findings on their cells, and summarises", async () => {
    const { host, c } = setup();
    host.file("a/config.json", '{"model_type": "llama", "layer_norm_eps": 1e-5}');
    host.file("b/gemma.py", GEMMA_PY);
    host.file("node_modules/x/config.json", '{"model_type": "llama", "layer_norm_eps": 1e-5}');
    host.file("n.ipynb", JSON.stringify({ cells: [{ cell_type: "code", source: GEMMA_PY.split(/(?<=\n)/) }], metadata: {}, nbformat: 4, nbformat_minor: 5 }, null, 1));
    // Closed Python that mentions no norm is not parsed in bulk (its syntax error is not noted);
    // with a norm in it, the same syntax error is.
    host.file("tools/broken.py", "def f(:\n    return 1\n");
    host.file("tools/broken_norm.py", "import torch\nx = torch.nn.LayerNorm(8)\ndef f(:\n    return 1\n");
    await c.commands["normlint.lintWorkspace"]();
    expect(host.diagnostics.has(`${ROOT}/tools/broken.py`)).toBe(false);
    expect(host.codes(`${ROOT}/tools/broken_norm.py`)[0]).toMatch(/^NL200@/);
    expect(host.codes(`${ROOT}/a/config.json`)).toEqual(["NL101@0:24"]);
    expect(host.diags(`${ROOT}/b/gemma.py`).some((d) => d.finding.rule === "norm-missing-unit-offset")).toBe(true);
    // The closed notebook is loaded (not shown) so that its findings sit on its cell.
    expect(host.diags("vscode-notebook-cell:/ws/n.ipynb#cell0").some((d) => d.finding.rule === "norm-missing-unit-offset")).toBe(true);
    expect(host.diags(`${ROOT}/n.ipynb`)).toEqual([]);
    expect(host.diagnostics.has(`${ROOT}/node_modules/x/config.json`)).toBe(false);
    // The progress walked 5 files ("1 of 5 files: ...", node_modules left out); the summary counts the same 5.
    expect(host.infos.at(-1)).toMatch(/^normlint: 5 files checked in [\d.]+ s \(4 linted; the others hold no model config, norm code or notebook\): 2 errors, 3 warnings, 1 info\.$/);
    expect(host.infoActions.at(-1)).toEqual(["Show Problems"]);
    expect(host.status?.detail).toBe("4 files linted");
  });

  it("Lint Workspace stops when cancelled", async () => {
    const { host, c } = setup((h) => (h.cancelAfter = 1));
    for (let i = 0; i < 5; i++) host.file(`m${i}/config.json`, '{"model_type": "llama"}');
    await c.commands["normlint.lintWorkspace"]();
    expect(host.infos.at(-1)).toMatch(/^normlint: cancelled after 1 of 5 files in [\d.]+ s: /);
  });

  it("Explain Rule shows the rule page for a picked rule or an argument", async () => {
    const { host, c } = setup((h) => (h.pick = (items) => items.find((i) => i.label.startsWith("NL201"))?.value));
    await c.commands["normlint.explainRule"]();
    await c.commands["normlint.explainRule"]("NL101");
    expect(host.markdown.map((m) => m.name)).toEqual(["norm-missing-unit-offset", "eps-key-unused"]);
    expect(host.markdown[0].markdown).toMatch(/^# norm-missing-unit-offset \(NL201\)/);
  });

  it("Copy Debug Info lists versions, settings, folders and the last error", async () => {
    const { host, c } = setup();
    host.open("m/config.json", '{"model_type": "llama"}');
    c.start();
    await c.idle();
    c.recordError(new Error("boom"), "testing");
    await c.commands["normlint.copyDebugInfo"]();
    const text = host.clipboard[0];
    expect(text).toContain("normlint 0.1.0, VS Code 1.90.0");
    expect(text).toMatch(/engine: \d+ rules, \d+ model families/);
    expect(text).toContain(`- ${ROOT}`);
    expect(text).toContain('"run": "onType"');
    expect(text).toContain("while testing");
    expect(host.status?.severity).toBe("error");
    expect(host.warnings).toHaveLength(1);
  });
});
