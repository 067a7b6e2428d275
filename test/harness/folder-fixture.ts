// Folder fixtures: test/fixtures/<rule-name>/<case>/ holds the files of one model folder, each
// written as JSONC with inline markers, and the harness builds the binaries in memory:
//   config.jsonc                       -> config.json as is
//   <name>.safetensors.jsonc           -> a safetensors file: {"fill", "layers", "hidden", "modelType",
//                                         "dtype", "drop": [names], "add": {name: tensor}, "truncate": n,
//                                         "only": [names] or "added"}; `{N}` in an added name
//                                         stands for every layer index
//   <name>.gguf.jsonc                  -> a GGUF file: {"metadata", "tensors", "truncate"}
//   model.safetensors.index.jsonc      -> the index as is
//   params.jsonc                       -> Meta's params.json as is
//   <name>.bin.jsonc                   -> a PyTorch pickle's name only (never read)
//   modeling.py (any *.py)             -> modeling code, analysed by lintPython and passed as
//                                         `code`; `# error: [rule]` markers count on its lines, for
//                                         the folder rules and for its own Python rules alike
// A finding on a binary file counts on line 1 of its spec file.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { blankComments } from "./markers";
import type { ModelFolderInput } from "../../src/engine/folder";
import { configModelType, defaultSettings, type Finding } from "../../src/engine/index";
import { bytesSource } from "../../src/engine/io";
import { lintPython, type PythonParser } from "../../src/engine/python";
import { buildGguf, buildSafetensors, type GgufDesc } from "./checkpoint-builder";
import { expandTensors, folderDesc } from "./model-folder";

const enc = new TextEncoder();

export interface FolderFixture {
  input: ModelFolderInput;
  /** Fixture file name for each file path the findings name. */
  specFor: Map<string, string>;
  /** Stripped text of each spec file, for line numbers. */
  texts: Map<string, string>;
  raw: Map<string, string>;
  /** Findings of the Python rules on the folder's code files. */
  codeFindings: Finding[];
}

export function loadFolderFixture(dir: string, parser?: PythonParser): FolderFixture {
  const input: ModelFolderInput = { dir: "m", safetensors: [], gguf: [], pickles: [], code: [] };
  const codeFindings: Finding[] = [];
  const specFor = new Map<string, string>();
  const texts = new Map<string, string>();
  const raw = new Map<string, string>();
  const files = readdirSync(dir).sort();
  const read = (f: string) => {
    const text = readFileSync(join(dir, f), "utf8");
    raw.set(f, text);
    const stripped = blankComments(text);
    texts.set(f, stripped);
    return stripped;
  };
  const configText = files.includes("config.jsonc") ? read("config.jsonc") : undefined;
  const config = configText ? JSON.parse(configText) : {};
  if (configText !== undefined) {
    input.config = { path: "m/config.json", bytes: enc.encode(configText) };
    specFor.set("m/config.json", "config.jsonc");
  }
  for (const f of files) {
    if (f === "config.jsonc") continue;
    if (f.endsWith(".py")) {
      if (!parser) throw new Error(`${dir}/${f}: a folder fixture with Python needs a parser`);
      const text = readFileSync(join(dir, f), "utf8");
      raw.set(f, text);
      texts.set(f, text);
      const path = `m/${f}`;
      specFor.set(path, f);
      // The config.json beside the code governs its family, as the CLI and the editor pass it.
      const result = lintPython({ path, text }, defaultSettings(), parser, { configModelType: input.config ? configModelType(new TextDecoder().decode(input.config.bytes)) : undefined });
      codeFindings.push(...result.findings);
      if (result.module) input.code!.push({ path, text: result.text, module: result.module });
      continue;
    }
    const name = f === "params.jsonc" ? "params.json" : f.replace(/\.jsonc$/, "").replace(/\.index$/, ".index.json");
    const path = `m/${name}`;
    specFor.set(path, f);
    const spec = JSON.parse(read(f));
    if (name === "params.json") {
      input.params = { path, bytes: enc.encode(texts.get(f)!) };
    } else if (name.endsWith(".safetensors.index.json")) {
      input.index = { path, bytes: enc.encode(texts.get(f)!) };
    } else if (name.endsWith(".safetensors")) {
      const text = config.text_config ?? config;
      const layers = spec.layers ?? text.num_hidden_layers ?? text.n_layer ?? 4;
      const { desc } = folderDesc({
        modelType: spec.modelType ?? text.model_type ?? "llama",
        layers,
        hidden: spec.hidden ?? text.hidden_size ?? 64,
        fill: spec.fill ?? "llama-like",
        dtype: spec.dtype,
        edit: (t) => {
          for (const d of spec.drop ?? []) delete t[d];
          const added = expandTensors(spec.add ?? {}, layers);
          Object.assign(t, added);
          const keep = (k: string) => (spec.only === "added" ? k in added : spec.only.includes(k));
          if (spec.only) for (const k of Object.keys(t)) if (!keep(k)) delete t[k];
        },
      });
      let bytes = buildSafetensors(desc).bytes;
      if (spec.truncate) bytes = bytes.subarray(0, bytes.length - spec.truncate);
      input.safetensors.push({ path, source: bytesSource(bytes) });
    } else if (name.endsWith(".gguf")) {
      let bytes = buildGguf(spec as GgufDesc);
      if (spec.truncate) bytes = bytes.subarray(0, bytes.length - spec.truncate);
      input.gguf.push({ path, source: bytesSource(bytes) });
    } else {
      input.pickles.push(path);
    }
  }
  return { input, specFor, texts, raw, codeFindings };
}
