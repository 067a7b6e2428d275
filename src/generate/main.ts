// Writes the generated artifacts (see artifacts.ts). Run by esbuild.mjs before bundling. Under
// CI=true the committed ones (schemas/, docs/rules/, README table) are left alone, so the
// generated-files test catches a commit that forgot to regenerate them.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { artifacts } from "./artifacts";

const root = process.argv[2] ?? process.cwd();
const { committed, build } = artifacts(root);
const targets = process.env.CI ? [...build] : [...committed, ...build];
for (const [rel, content] of targets) {
  const path = join(root, rel);
  let old: string | undefined;
  try {
    old = readFileSync(path, "utf8");
  } catch {}
  if (old === content) continue;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}
