// Builds the example checkpoints: for every examples/<folder>/weights.json, writes
// examples/<folder>/model.safetensors with the family's norm tensors (names from the knowledge
// base, sizes from config.json) filled as weights.json says. No binaries are committed; `npm run
// demo` runs this first.
//
// weights.json: {"fill", "dtype", "modelType", "drop": [names], "add": {name: tensor},
// "only": "added"}. `add` names tensors of other layouts (a GPT-2 port's `trf_blocks.{N}.norm1.weight`,
// GPT-2's own `h.{N}.ln_1.bias`), `{N}` standing for every layer index; `"only": "added"` keeps
// just those, for a checkpoint whose names are not the family's.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildSafetensors, type TensorDesc } from "../../test/harness/checkpoint-builder";
import { expandTensors, folderDesc, type FolderSpec } from "../../test/harness/model-folder";

type Spec = Pick<FolderSpec, "fill" | "dtype"> & { modelType?: string; drop?: string[]; add?: Record<string, TensorDesc>; only?: "added" };

const root = join(process.argv[2] ?? process.cwd(), "examples");
let built = 0;
for (const name of readdirSync(root).sort()) {
  const specPath = join(root, name, "weights.json");
  if (!existsSync(specPath)) continue;
  const config = JSON.parse(readFileSync(join(root, name, "config.json"), "utf8"));
  const spec = JSON.parse(readFileSync(specPath, "utf8")) as Spec;
  const text = config.text_config ?? config;
  // GPT-2 style configs call them n_layer and n_embd.
  const layers = text.num_hidden_layers ?? text.n_layer;
  const { desc } = folderDesc({
    modelType: spec.modelType ?? text.model_type ?? config.model_type,
    layers,
    hidden: text.hidden_size ?? text.n_embd,
    fill: spec.fill,
    dtype: spec.dtype,
    edit: (t) => {
      spec.drop?.forEach((d) => delete t[d]);
      const added = expandTensors(spec.add ?? {}, layers);
      if (spec.only === "added") for (const k of Object.keys(t)) delete t[k];
      Object.assign(t, added);
    },
  });
  writeFileSync(join(root, name, "model.safetensors"), buildSafetensors(desc).bytes);
  built++;
}
console.log(`built ${built} example checkpoint(s)`);
