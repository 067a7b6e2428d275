// Builds everything: first the generator (schemas, rule docs, ajv validators, README table), then
// the bundles: dist/cli.js (node), dist/bench.js (node), dist/hub-server.js (node, the tests' Hub
// stand-in), dist/extension.js (the VS Code extension, node, `vscode` external) with its lazily
// required dist/extension-engine.js, -lab.js and -hub.js.
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

// The extension is four bundles so activation parses only the thin layer: the controller's
// `import("./engine")`, `import("./norm-lab")` and `import("./hub-check")` become requires of
// dist/extension-engine.js, dist/extension-lab.js and dist/extension-hub.js, loaded on the first
// lint, the first Norm Lab and the first Hub check. (CommonJS has no code
// splitting in esbuild, hence the plugin; the bundles share no mutable state. In the two bundles
// that load chunks, import() is lowered to require, the way every extension host loads CommonJS;
// not in the engine's, where web-tree-sitter's own import("module") must stay as it is.)
const LAZY = { "./engine": "./extension-engine.js", "./norm-lab": "./extension-lab.js", "./hub-check": "./extension-hub.js" };
const lazyExtensionChunks = {
  name: "lazy-extension-chunks",
  setup(build) {
    build.onResolve({ filter: /^\.\/(engine|norm-lab|hub-check)$/ }, (a) => (/src[\\/]extension[\\/]/.test(a.importer) ? { path: LAZY[a.path], external: true } : undefined));
  },
};
const requireChunks = { supported: { "dynamic-import": false } };
const extension = { ...common, ...importMeta, format: "cjs", external: ["vscode"], banner: { js: cjsBanner }, minify: true, plugins: [lazyExtensionChunks] };
await Promise.all([
  esbuild.build({ ...common, ...importMeta, entryPoints: ["src/cli/main.ts"], outfile: "dist/cli.js", format: "cjs", banner: { js: `#!/usr/bin/env node\n${cjsBanner}` }, minify: !process.env.NORMLINT_NO_MINIFY }),
  esbuild.build({ ...extension, ...requireChunks, entryPoints: ["src/extension/extension.ts"], outfile: "dist/extension.js" }),
  esbuild.build({ ...extension, entryPoints: ["src/extension/engine.ts"], outfile: "dist/extension-engine.js" }),
  esbuild.build({ ...extension, ...requireChunks, entryPoints: ["src/extension/norm-lab.ts"], outfile: "dist/extension-lab.js" }),
  esbuild.build({ ...extension, ...requireChunks, entryPoints: ["src/extension/hub-check.ts"], outfile: "dist/extension-hub.js" }),
  esbuild.build({ ...common, ...importMeta, entryPoints: ["bench/main.ts"], outfile: "dist/bench.js", format: "cjs", banner: { js: cjsBanner } }),
  esbuild.build({ bundle: true, platform: "browser", format: "esm", target: "es2022", entryPoints: ["webview/main.ts"], outfile: "dist/webview/main.js", minify: true, logLevel: "warning", legalComments: "none" }),
  esbuild.build({ ...common, entryPoints: ["scripts/examples/build-weights.ts"], outfile: "dist/build-examples.js", format: "cjs", sourcemap: false }),
  // The Hugging Face Hub stand-in the tests use, with demo repositories, for the e2e run (HF_ENDPOINT).
  esbuild.build({ ...common, ...importMeta, entryPoints: ["test/harness/hub-server-main.ts"], outfile: "dist/hub-server.js", format: "cjs", banner: { js: cjsBanner }, sourcemap: false }),
]);
chmodSync("dist/cli.js", 0o755);
copyFileSync("webview/style.css", "dist/webview/style.css");
// The Python parser's wasm binaries travel next to the bundles (src/node/wasm.ts looks there first).
copyFileSync("node_modules/web-tree-sitter/web-tree-sitter.wasm", "dist/web-tree-sitter.wasm");
copyFileSync("node_modules/tree-sitter-python/tree-sitter-python.wasm", "dist/tree-sitter-python.wasm");
