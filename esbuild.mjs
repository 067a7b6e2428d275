// Builds everything: first the generator (schemas, rule docs, ajv validators, README table), then
// the bundles: dist/cli.js (node), dist/bench.js (node). Later: dist/extension.js, dist/webview/.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync } from "node:fs";
import * as esbuild from "esbuild";

const common = { bundle: true, platform: "node", target: "node20", sourcemap: "linked", logLevel: "warning", legalComments: "none", mainFields: ["module", "main"] };
mkdirSync("dist", { recursive: true });

await esbuild.build({ ...common, entryPoints: ["src/generate/main.ts"], outfile: "dist/generate.cjs", format: "cjs", sourcemap: false });
execFileSync(process.execPath, ["dist/generate.cjs", process.cwd()], { stdio: "inherit" });

await Promise.all([
  esbuild.build({ ...common, entryPoints: ["src/cli/main.ts"], outfile: "dist/cli.js", format: "cjs", banner: { js: "#!/usr/bin/env node" }, minify: true }),
  esbuild.build({ ...common, entryPoints: ["bench/main.ts"], outfile: "dist/bench.js", format: "cjs" }),
]);
chmodSync("dist/cli.js", 0o755);
