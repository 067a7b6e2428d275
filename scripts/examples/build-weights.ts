// Builds the example checkpoints: for every examples/<folder>/weights.json, writes
// examples/<folder>/model.safetensors with the family's norm tensors (names from the knowledge
// base, sizes from config.json) filled as weights.json says. No binaries are committed; `npm run
// demo` runs this first.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildSafetensors } from "../../test/harness/checkpoint-builder";
import { folderDesc, type FolderSpec } from "../../test/harness/model-folder";

const root = join(process.argv[2] ?? process.cwd(), "examples");
let built = 0;
for (const name of readdirSync(root).sort()) {
  const specPath = join(root, name, "weights.json");
  if (!existsSync(specPath)) continue;
  const config = JSON.parse(readFileSync(join(root, name, "config.json"), "utf8"));
  const spec = JSON.parse(readFileSync(specPath, "utf8")) as Pick<FolderSpec, "fill" | "dtype"> & { modelType?: string; drop?: string[] };
  const text = config.text_config ?? config;
  const { desc } = folderDesc({
    modelType: spec.modelType ?? text.model_type ?? config.model_type,
    layers: text.num_hidden_layers,
    hidden: text.hidden_size,
    fill: spec.fill,
    dtype: spec.dtype,
    edit: (t) => spec.drop?.forEach((d) => delete t[d]),
  });
  writeFileSync(join(root, name, "model.safetensors"), buildSafetensors(desc).bytes);
  built++;
}
console.log(`built ${built} example checkpoint(s)`);
