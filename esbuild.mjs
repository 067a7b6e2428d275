// Builds everything: first the generator (schemas, rule docs, ajv validators, README table), then
// the bundles: dist/cli.js (node), dist/bench.js (node), dist/extension.js (the VS Code extension,
// node, `vscode` external; its engine is imported lazily, so activation evaluates only the thin layer).
// dist/webview/main.js + style.css: the Norm Lab page (browser, ESM; the panel's CSP admits only these).
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import * as esbuild from "esbuild";

// web-tree-sitter reads import.meta.url (for createRequire); CommonJS bundles supply it.
const importMeta = { define: { "import.meta.url": "__normlintImportMetaUrl" } };
const cjsBanner = 'const __normlintImportMetaUrl = require("url").pathToFileURL(__filename).href;';
const common = { bundle: true, platform: "node", target: "node20", sourcemap: "linked", logLevel: "warning", legalComments: "none", mainFields: ["module", "main"] };
mkdirSync("dist", { recursive: true });

// Bootstrap: the generator bundles code that imports its own outputs (validators, rule docs) through
// the engine; on a clean checkout placeholders stand in until the generator writes the real files.
const gen = "src/engine/generated";
mkdirSync(gen, { recursive: true });
if (!existsSync(`${gen}/validators.js`)) {
  writeFileSync(`${gen}/validators.js`, "export const validators = { normlint: () => true, base: () => true, families: {} };\n");
}
if (!existsSync(`${gen}/rule-docs.json`)) writeFileSync(`${gen}/rule-docs.json`, "{}\n");

await esbuild.build({ ...common, entryPoints: ["src/generate/main.ts"], outfile: "dist/generate.cjs", format: "cjs", sourcemap: false });
execFileSync(process.execPath, ["dist/generate.cjs", process.cwd()], { stdio: "inherit" });

await Promise.all([
  esbuild.build({ ...common, ...importMeta, entryPoints: ["src/cli/main.ts"], outfile: "dist/cli.js", format: "cjs", banner: { js: `#!/usr/bin/env node\n${cjsBanner}` }, minify: true }),
  esbuild.build({ ...common, ...importMeta, entryPoints: ["src/extension/extension.ts"], outfile: "dist/extension.js", format: "cjs", external: ["vscode"], banner: { js: cjsBanner }, minify: true }),
  esbuild.build({ ...common, ...importMeta, entryPoints: ["bench/main.ts"], outfile: "dist/bench.js", format: "cjs", banner: { js: cjsBanner } }),
  esbuild.build({ bundle: true, platform: "browser", format: "esm", target: "es2022", entryPoints: ["webview/main.ts"], outfile: "dist/webview/main.js", minify: true, logLevel: "warning", legalComments: "none" }),
  esbuild.build({ ...common, entryPoints: ["scripts/examples/build-weights.ts"], outfile: "dist/build-examples.js", format: "cjs", sourcemap: false }),
]);
chmodSync("dist/cli.js", 0o755);
copyFileSync("webview/style.css", "dist/webview/style.css");
// The Python parser's wasm binaries travel next to the bundles (src/cli/wasm.ts looks there first).
copyFileSync("node_modules/web-tree-sitter/web-tree-sitter.wasm", "dist/web-tree-sitter.wasm");
copyFileSync("node_modules/tree-sitter-python/tree-sitter-python.wasm", "dist/tree-sitter-python.wasm");
