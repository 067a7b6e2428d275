// Bundles the knowledge-base tools (scripts/kb/*.ts) into dist/kb-*.js and runs the one named:
//   node scripts/kb/bundle.mjs extract <transformers package folder> ...
// They import the engine's own Python analysis, so they are bundled the way the CLI is.
import { execFileSync } from "node:child_process";
import * as esbuild from "esbuild";

const [tool, ...args] = process.argv.slice(2);
if (!["extract", "extract-remote", "diff", "build"].includes(tool)) {
  console.error("usage: node scripts/kb/bundle.mjs extract|extract-remote|diff|build <args...>");
  process.exit(2);
}
await esbuild.build({
  entryPoints: [`scripts/kb/${tool}.ts`],
  outfile: `dist/kb-${tool}.js`,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  logLevel: "warning",
  // web-tree-sitter reads import.meta.url (for createRequire); CommonJS bundles supply it.
  define: { "import.meta.url": "__normlintImportMetaUrl" },
  banner: { js: 'const __normlintImportMetaUrl = require("url").pathToFileURL(__filename).href;' },
});
try {
  execFileSync(process.execPath, [`dist/kb-${tool}.js`, ...args], { stdio: "inherit" });
} catch (e) {
  process.exit(e.status ?? 1);
}
