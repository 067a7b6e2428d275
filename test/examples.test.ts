// What `npm run demo` shows: the examples are copied to a sandbox, their checkpoints built there by
// dist/build-examples.js, and the CLI's findings per folder must be those examples/README.md lists
// (the correct folders silent).
import { execFileSync } from "node:child_process";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, REPO, Sandbox } from "./harness/cli";

let box: Sandbox;
beforeAll(() => {
  ensureBuilt();
  box = Sandbox.create();
  cpSync(join(REPO, "examples"), box.path("examples"), { recursive: true, filter: (src) => !/\.(safetensors|gguf)$/.test(src) });
  execFileSync(process.execPath, [join(REPO, "dist", "build-examples.js"), box.root], { stdio: "pipe" });
});
afterAll(() => box.remove());

/** Folder -> the codes normlint reports there, as examples/README.md describes them. */
const EXPECTED: Record<string, string[]> = {
  "bloom-claims-rmsnorm": ["NL104"],
  "gemma-2-2b": [],
  "gemma-2-folded-weights": ["NL303"],
  "gemma-3-eps-at-top-level": ["NL101"],
  "gemma-port-dropped-offset": ["NL201"],
  "gpt-scale-shift": ["NL304"],
  "gpt-scale-shift-mapped": [],
  "hand-edited-trailing-comma": ["NL001"],
  "llama-3-8b": [],
  "llama-config-gemma-weights": ["NL105"],
  "llama-port-layer-norm-eps": ["NL101"],
  "llama-with-gemma-weights": ["NL303"],
  "mistral-misspelled-eps": ["NL102"],
  "nemotron-4-mini": [],
  "qwen2-string-eps": ["NL103"],
  "starcoder2-rms-eps": ["NL101"],
  "t5-base": [],
};

describe("examples (npm run demo)", () => {
  it("gives each folder the findings examples/README.md lists", () => {
    const { report } = box.json(["examples", "--no-respect-gitignore"]);
    const got: Record<string, string[]> = Object.fromEntries(Object.keys(EXPECTED).map((k) => [k, []]));
    for (const f of report.findings) {
      const folder = f.file.split("/")[1];
      (got[folder] ??= []).push(f.code);
    }
    for (const codes of Object.values(got)) codes.sort();
    expect(got).toEqual(EXPECTED);
  });
});
