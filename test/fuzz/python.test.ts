// Fuzzing the Python entry points (lintPython, fixPythonText, lintNotebook) through the real
// tree-sitter wasm: random token soup made of Python syntax and norm-ish names, the repository's
// modeling files mutated, and notebooks with cells of every wrong shape. fast-check finds the odd
// inputs (a suppression comment on a line the mutation just split, a cell whose source is a number)
// and shrinks a failure to a few tokens.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { beforeAll, describe, it } from "vitest";
import { loadPythonWasm } from "../../src/node/wasm";
import { defaultSettings, resolveSettings, loadConfig, RULES } from "../../src/engine/index";
import { modelTypes } from "../../src/engine/knowledge/index";
import { createPythonParser, fixPythonText, lintNotebook, lintPython, type PythonLintResult, type PythonParser } from "../../src/engine/python";
import type { Finding } from "../../src/engine/types";
import {
  assertDeterministic,
  assertFindingsInside,
  assertFixIdempotent,
  fuzz,
  hasSafeFix,
  mutateText,
  PROTOTYPE_NAMES,
  reportCounts,
  textMutations,
  useWatchdog,
} from "./harness";
import { byteMutations, mutateBytes } from "../harness/mutate";

useWatchdog();
reportCounts("python");

const REPO = join(__dirname, "..", "..");
let parser: PythonParser;
beforeAll(async () => {
  parser = await createPythonParser(loadPythonWasm([REPO]));
});

function filesUnder(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, ext));
    else if (name.endsWith(ext)) out.push(p);
  }
  return out.sort();
}

const corpus = (ext: string) => [...filesUnder(join(REPO, "test", "fixtures"), ext), ...filesUnder(join(REPO, "examples"), ext)].map((p) => readFileSync(p, "utf8"));
const PY_FILES = corpus(".py");
const NOTEBOOKS = corpus(".ipynb");

const settings = defaultSettings();
const ruleNames = RULES.map((r) => r.name);
const families = modelTypes();

// ---- token soup ----
const KEYWORDS = ["class", "def", "return", "import", "from", "as", "if", "else", "elif", "for", "in", "while", "with", "lambda", "pass", "self", "super().__init__()", "None", "True", "async", "await", "yield", "del", "global", "nonlocal", "try:", "except", "finally:", "raise", "assert", "@torch.no_grad()", "@", "*", "**", "="];
const NAMES = ["RMSNorm", "LlamaRMSNorm", "GemmaRMSNorm", "LayerNorm", "nn.LayerNorm", "nn.RMSNorm", "nn.Module", "nn.Parameter", "torch", "torch.rsqrt", "torch.ones", "torch.zeros", "torch.float32", "F.layer_norm", "F.rms_norm", "torch.nn.functional", "weight", "self.weight", "bias", "eps", "self.eps", "variance_epsilon", "rms_norm_eps", "layer_norm_eps", "hidden_states", "x", "x.float()", "pow(2)", "mean(-1, keepdim=True)", ".type_as(x)", ".to(input_dtype)", "1.0", "1e-6", "1 +", "forward", "__init__", "_norm", "dim", "keepdim", "setattr", "transformers.models.llama.modeling_llama.LlamaRMSNorm", ...PROTOTYPE_NAMES];
const PUNCT = ["(", ")", "[", "]", "{", "}", ":", ",", ".", "+", "-", "*", "/", "\n", "\n    ", "\n        ", "\t", "\\\n", ";", "#", '"', "'", '"""', "f\"{", "r'", "b'", "0x", "1_000", "%", "!"];
const COMMENTS = ["# normlint: ignore[norm-eps-mismatch]", "# normlint: ignore[NL206, no-such-rule]", "# normlint: ignore[]", "# normlint: ignore[", "# normlint: file-ignore[norm-missing-unit-offset] -- why", "# normlint: model_type=gemma", "# normlint: model_type=", "# normlint-test: model_type=llama", ...ruleNames.slice(0, 4).map((r) => `# normlint: ignore[${r}]`)];
const token = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KEYWORDS) }, { weight: 4, arbitrary: fc.constantFrom(...NAMES) }, { weight: 4, arbitrary: fc.constantFrom(...PUNCT) }, { weight: 1, arbitrary: fc.constantFrom(...COMMENTS) }, { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 3 }) });
const soup = fc.array(fc.tuple(token, fc.constantFrom(" ", "", " ", "\n", "\n    ")), { maxLength: 120 }).map((ts) => ts.map(([t, sep]) => t + sep).join(""));

/** A norm class, assembled from parts that may each be wrong (the shapes the rules look for). */
const normClass = fc
  .record({
    name: fc.constantFrom("RMSNorm", "GemmaRMSNorm", "T5LayerNorm", "MyNorm", "LlamaRMSNorm"),
    init: fc.constantFrom("torch.ones(dim)", "torch.zeros(dim)", "torch.empty(dim)", "dim"),
    eps: fc.constantFrom("1e-6", "1e-5", "eps", "None", "0"),
    scale: fc.constantFrom("self.weight", "(1.0 + self.weight.float())", "(1 + self.weight)", "self.weight.float()", "1"),
    upcast: fc.boolean(),
    suppress: fc.option(fc.constantFrom(...COMMENTS), { nil: undefined }),
    header: fc.option(fc.constantFrom(...families.slice(0, 40)).map((m) => `# normlint: model_type=${m}`), { nil: undefined }),
  })
  .map(
    (p) => `${p.header ?? ""}
import torch
from torch import nn

class ${p.name}(nn.Module):
    def __init__(self, dim, eps=${p.eps}):
        super().__init__()
        self.eps = eps  ${p.suppress ?? ""}
        self.weight = nn.Parameter(${p.init})

    def forward(self, x):
        y = ${p.upcast ? "x.float()" : "x"}
        y = y * torch.rsqrt(y.pow(2).mean(-1, keepdim=True) + self.eps)
        return (y * ${p.scale}).type_as(x)
`,
  );

const PY_TOKENS = [...KEYWORDS, ...NAMES, ...PUNCT, ...COMMENTS];
const pyMutations = textMutations(PY_TOKENS);
const source = fc.oneof(
  { weight: 2, arbitrary: soup },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...PY_FILES), pyMutations).map(([t, m]) => mutateText(t, m)) },
  { weight: 2, arbitrary: fc.tuple(normClass, fc.option(pyMutations, { nil: undefined })).map(([t, m]) => (m ? mutateText(t, m) : t)) },
);
const options = fc.record({ modelType: fc.option(fc.oneof(fc.constantFrom(...families), fc.constantFrom(...PROTOTYPE_NAMES), fc.string({ maxLength: 6 })), { nil: undefined }), prefilter: fc.boolean() }, { requiredKeys: [] });

/** The findings of a result and the text each one refers to: a notebook cell's, else the file's. */
function lengthOf(result: PythonLintResult): (f: Finding) => number | undefined {
  return (f) => {
    const cell = f.data?.cell;
    if (cell === undefined) return result.text.length;
    const c = result.cells?.find((x) => x.index === cell);
    if (!c) throw new Error(`${f.rule}: data.cell ${String(cell)} names no code cell`);
    return c.source.length;
  };
}

/** What two runs must agree on (the module analysis holds parser objects, so it is left out). */
const visible = (r: PythonLintResult) => ({ status: r.status, reason: r.reason, findings: r.findings, text: r.text, cells: r.cells });

function checkPython(text: string, opts: { modelType?: string; prefilter?: boolean }, fileSettings = settings): void {
  const path = "m/modeling.py";
  const r = assertDeterministic("lintPython", () => visible(lintPython({ path, text }, fileSettings, parser, opts)));
  if (r.status !== "skipped" && r.text !== text) throw new Error("lintPython returned a different text than it was given");
  assertFindingsInside(r.findings, lengthOf(r as PythonLintResult));
  // Without a safe fix the fix loop returns at once (the run above, being deterministic, is its first lint).
  if (!hasSafeFix(r.findings)) return;
  const fixed = assertFixIdempotent("fixPythonText", text, (t) => fixPythonText({ path, text: t }, fileSettings, parser, opts));
  if (fixed !== text) assertFindingsInside(lintPython({ path, text: fixed }, fileSettings, parser, opts).findings, () => fixed.length);
}

describe("fuzz: Python", () => {
  it("token soup, mutated modeling files and generated norm classes", () => {
    fuzz("python/source", 1, [source, options], (text, opts) => checkPython(text, opts));
  });

  it("with rule levels from a .normlint.json (suppressions of rules that are off)", () => {
    const levels = fc.dictionary(fc.constantFrom(...ruleNames, "NL2", "all"), fc.constantFrom("off", "info", "warning", "error"), { maxKeys: 3 });
    fuzz("python/levels", 0.2, [source, levels], (text, rules) => {
      const { loaded } = loadConfig(JSON.stringify({ rules }), ".normlint.json", "");
      checkPython(text, {}, resolveSettings(loaded, "m/modeling.py"));
    });
  });

  it("incremental reparsing after edits agrees with a fresh parse", () => {
    const edit = fc.record({ at: fc.nat(), length: fc.nat({ max: 12 }), text: fc.oneof(fc.constantFrom(...PY_TOKENS), fc.string({ unit: "binary", maxLength: 4 }), fc.constantFrom("é", "😀", "\r\n", "\uD800")) });
    fuzz("python/incremental", 0.3, [source, fc.array(edit, { minLength: 1, maxLength: 4 })], (text, edits) => {
      const tree = parser.parse(text);
      let current = text;
      for (const e of edits) {
        const start = e.at % (current.length + 1);
        current = parser.edit(tree, { start, end: Math.min(current.length, start + e.length), text: e.text });
      }
      // The engine parses a leading byte order mark as a space; an editor's tree never has one.
      if (current.charCodeAt(0) === 0xfeff) current = parser.edit(tree, { start: 0, end: 1, text: " " });
      const again = parser.parse(current, tree);
      try {
        const incremental = visible(lintPython({ path: "m.py", text: current }, settings, parser, { tree: again }));
        const fresh = visible(lintPython({ path: "m.py", text: current }, settings, parser));
        if (!isDeepStrictEqual(incremental, fresh)) throw new Error(`an incremental reparse lints differently from a fresh parse:\n${JSON.stringify(incremental.findings)}\n${JSON.stringify(fresh.findings)}`);
        assertFindingsInside(incremental.findings, () => current.length);
      } finally {
        tree.delete();
        again.delete();
      }
    });
  });

  it("bytes: invalid UTF-8, NUL, a byte order mark", () => {
    fuzz("python/bytes", 0.2, [fc.constantFrom(...PY_FILES), byteMutations, fc.boolean()], (text, ops, bom) => {
      const raw = new TextEncoder().encode(text);
      const bytes = mutateBytes(bom ? new Uint8Array([0xef, 0xbb, 0xbf, ...raw]) : raw, ops);
      const r = assertDeterministic("lintPython(bytes)", () => visible(lintPython({ path: "m.py", bytes }, settings, parser)));
      assertFindingsInside(r.findings, () => r.text.length);
    });
  });
});

// ---- notebooks ----
const cellSource = fc.oneof(
  { weight: 4, arbitrary: source },
  { weight: 2, arbitrary: source.map((s) => s.split(/(?<=\n)/)) },
  { weight: 1, arbitrary: fc.constantFrom("%%bash\nrm -rf /\n", "%matplotlib inline\n!pip install torch\nclass N(nn.Module): pass\n", "%%writefile x.py\nclass RMSNorm: pass") },
  { weight: 1, arbitrary: fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 3 }), fc.object({ maxDepth: 1 })) },
);
const cell = fc.record(
  {
    cell_type: fc.oneof({ weight: 5, arbitrary: fc.constant("code") }, { weight: 1, arbitrary: fc.constantFrom("markdown", "raw", 3, null) }),
    source: cellSource,
    input: fc.option(cellSource, { nil: undefined }),
    id: fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.constant(undefined)),
    outputs: fc.constant([]),
    metadata: fc.constant({}),
  },
  { requiredKeys: ["cell_type"] },
);
const language = fc.constantFrom(undefined, "python", "Python", "julia", 3, null);
const notebook = fc
  .record({
    cells: fc.oneof({ weight: 6, arbitrary: fc.array(cell, { maxLength: 6 }) }, { weight: 1, arbitrary: fc.oneof(fc.constant(null), fc.string(), fc.object({ maxDepth: 1 })) }),
    worksheets: fc.option(fc.array(fc.record({ cells: fc.array(cell, { maxLength: 3 }) }), { maxLength: 2 }), { nil: undefined }),
    metadata: fc.oneof(fc.record({ kernelspec: fc.record({ language }, { requiredKeys: [] }), language_info: fc.record({ name: language }, { requiredKeys: [] }) }, { requiredKeys: [] }), fc.constant(null), fc.string()),
    nbformat: fc.constantFrom(4, 3, "4"),
    dropCells: fc.boolean(),
  })
  .map(({ dropCells, ...nb }) => {
    const out: Record<string, unknown> = { ...nb };
    if (dropCells) delete out.cells;
    return out;
  });
const notebookText = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(notebook, fc.constantFrom(0, 1, 2)).map(([nb, i]) => JSON.stringify(nb, null, i)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...NOTEBOOKS), textMutations(['"cells"', '"source"', '"code"', "[", "]", "{", "}", ",", '"', "null", "\\n", "%%bash\\n", ...PY_TOKENS.slice(0, 40)])).map(([t, m]) => mutateText(t, m)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
);

describe("fuzz: notebooks", () => {
  it("generated and mutated notebooks: cells of every shape, missing fields, wrong types", () => {
    fuzz("notebook", 1, [notebookText, options], (text, opts) => {
      const r = assertDeterministic("lintNotebook", () => visible(lintNotebook({ path: "m/n.ipynb", text }, settings, parser, opts)));
      assertFindingsInside(r.findings, lengthOf(r as PythonLintResult));
    });
  });
});
