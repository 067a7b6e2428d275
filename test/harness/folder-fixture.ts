// Folder fixtures: test/fixtures/<rule-name>/<case>/ holds the files of one model folder, each
// written as JSONC with inline markers, and the harness builds the binaries in memory:
//   config.jsonc                       -> config.json as is
//   <name>.safetensors.jsonc           -> a safetensors file: {"fill", "layers", "hidden", "modelType",
//                                         "dtype", "drop": [names], "add": {name: tensor}, "truncate": n}
//   <name>.gguf.jsonc                  -> a GGUF file: {"metadata", "tensors", "truncate"}
//   model.safetensors.index.jsonc      -> the index as is
//   <name>.bin.jsonc                   -> a PyTorch pickle's name only (never read)
// A finding on a binary file counts on line 1 of its spec file.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { stripComments } from "jsonc-parser";
import type { ModelFolderInput } from "../../src/engine/folder";
import { bytesSource } from "../../src/engine/io";
import { buildGguf, buildSafetensors, type GgufDesc } from "./checkpoint-builder";
import { folderDesc } from "./model-folder";

const enc = new TextEncoder();

export interface FolderFixture {
  input: ModelFolderInput;
  /** Fixture file name for each file path the findings name. */
  specFor: Map<string, string>;
  /** Stripped text of each spec file, for line numbers. */
  texts: Map<string, string>;
  raw: Map<string, string>;
}

export function loadFolderFixture(dir: string): FolderFixture {
  const input: ModelFolderInput = { dir: "m", safetensors: [], gguf: [], pickles: [] };
  const specFor = new Map<string, string>();
  const texts = new Map<string, string>();
  const raw = new Map<string, string>();
  const files = readdirSync(dir).sort();
  const read = (f: string) => {
    const text = readFileSync(join(dir, f), "utf8");
    raw.set(f, text);
    const stripped = stripComments(text, " ");
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
    const name = f.replace(/\.jsonc$/, "").replace(/\.index$/, ".index.json");
    const path = `m/${name}`;
    specFor.set(path, f);
    const spec = JSON.parse(read(f));
    if (name.endsWith(".safetensors.index.json")) {
      input.index = { path, bytes: enc.encode(texts.get(f)!) };
    } else if (name.endsWith(".safetensors")) {
      const text = config.text_config ?? config;
      const { desc } = folderDesc({
        modelType: spec.modelType ?? text.model_type ?? "llama",
        layers: spec.layers ?? text.num_hidden_layers ?? 4,
        hidden: spec.hidden ?? text.hidden_size ?? 64,
        fill: spec.fill ?? "llama-like",
        dtype: spec.dtype,
        edit: (t) => {
          for (const d of spec.drop ?? []) delete t[d];
          Object.assign(t, spec.add ?? {});
          if (spec.only) for (const k of Object.keys(t)) if (!spec.only.includes(k)) delete t[k];
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
  return { input, specFor, texts, raw };
}
