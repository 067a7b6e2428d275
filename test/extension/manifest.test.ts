// package.json as an extension manifest: the generated settings block, the command table,
// activation, capabilities; and the layering (only host.ts touches vscode; activation loads no engine).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configurationContribution } from "../../src/generate/settings";
import { COMMANDS } from "../../src/extension/commands";
import { RULES } from "../../src/engine/registry";

const ROOT = join(__dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

describe("package.json", () => {
  it("contributes.configuration is what src/generate/settings.ts generates", () => {
    expect(pkg.contributes.configuration).toEqual(configurationContribution());
  });

  it("the customizations' rule completions list every rule by name and code", () => {
    const rule = (configurationContribution().properties as Record<string, { items: { properties: { rule: { anyOf: Array<{ enum?: string[]; enumDescriptions?: string[] }> } } } }>)["normlint.rules.customizations"].items.properties.rule;
    const { enum: values, enumDescriptions } = rule.anyOf[0];
    for (const r of RULES) expect(values).toEqual(expect.arrayContaining([r.name, r.code]));
    expect(enumDescriptions).toHaveLength(values!.length);
  });

  it("every setting is typed, documented and has a default", () => {
    for (const [key, p] of Object.entries(pkg.contributes.configuration.properties as Record<string, Record<string, unknown>>)) {
      expect(key).toMatch(/^normlint\./);
      expect(p.type, key).toBeDefined();
      expect(p.markdownDescription ?? p.description, key).toBeTruthy();
      expect("default" in p, key).toBe(true);
      expect(p.scope, key).toBe("resource");
    }
  });

  it("contributes exactly the command table", () => {
    expect(pkg.contributes.commands).toEqual(COMMANDS.map((c) => ({ ...c })));
    expect(pkg.contributes.commands.map((c: { command: string }) => c.command)).toContain("normlint.openNormLab");
    // The explorer's context menu opens the Norm Lab on a folder, its config.json or a checkpoint.
    expect(pkg.contributes.menus["explorer/context"]).toEqual([expect.objectContaining({ command: "normlint.openNormLab", when: expect.stringMatching(/explorerResourceIsFolder.*\.safetensors.*\.gguf/) })]);
    expect(pkg.activationEvents).toContain("onWebviewPanel:normlint.normLab");
  });

  it("activates on model folders, Python, notebooks and its commands, and keeps the schema association", () => {
    expect(pkg.main).toBe("./dist/extension.js");
    expect(pkg.activationEvents).toEqual(
      expect.arrayContaining(["workspaceContains:**/config.json", "workspaceContains:**/*.safetensors", "workspaceContains:**/*.gguf", "onLanguage:python", "onNotebook:jupyter-notebook", ...COMMANDS.map((c) => `onCommand:${c.command}`)]),
    );
    expect(pkg.contributes.jsonValidation).toEqual([{ fileMatch: ".normlint.json", url: "./schemas/normlint.schema.json" }]);
  });

  it("ships a Get started walkthrough whose pages, commands and the rule pages it links exist in the package", () => {
    const [w] = pkg.contributes.walkthroughs;
    expect(w.steps.map((s: { id: string }) => s.id)).toEqual(["lint", "normLab", "fixOnSave", "configure"]);
    const ignore = readFileSync(join(ROOT, ".vscodeignore"), "utf8").split("\n");
    expect(ignore).toEqual(expect.arrayContaining(["!docs/walkthrough/*.md", "!docs/rules/*.md"]));
    for (const s of w.steps) {
      expect(existsSync(join(ROOT, s.media.markdown)), s.media.markdown).toBe(true);
      for (const m of s.description.matchAll(/\(command:(normlint\.[\w]+)/g)) expect(COMMANDS.map((c) => c.command)).toContain(m[1]);
    }
    expect(w.steps[2].media.markdown).toBe("docs/walkthrough/fix-on-save.md");
    expect(readFileSync(join(ROOT, "docs/walkthrough/fix-on-save.md"), "utf8")).toContain('"source.fixAll.normlint"');
    // Rule codes link to these pages (host.ts ruleDocUri): one per rule.
    for (const r of RULES) expect(existsSync(join(ROOT, "docs/rules", `${r.name}.md`)), r.name).toBe(true);
  });

  it("declares workspace trust and virtual workspace support", () => {
    expect(pkg.capabilities.untrustedWorkspaces).toEqual({ supported: true });
    expect(pkg.capabilities.virtualWorkspaces.supported).toBe("limited");
    expect(pkg.capabilities.virtualWorkspaces.description).toMatch(/sampling is off/);
  });

  it("packages with vsce from an allow-list .vscodeignore that ships the wasm", () => {
    expect(pkg.scripts.package).toBe("node esbuild.mjs && vsce package --no-dependencies");
    const ignore = readFileSync(join(ROOT, ".vscodeignore"), "utf8").split("\n");
    expect(ignore).toContain("**");
    expect(ignore).toEqual(expect.arrayContaining(["!dist/extension.js", "!dist/*.wasm"]));
  });

  it("ships every lazily required bundle, and activation's bundle stays the thin layer", () => {
    const ignore = readFileSync(join(ROOT, ".vscodeignore"), "utf8").split("\n");
    const chunks = (file: string) => [...readFileSync(join(ROOT, "dist", file), "utf8").matchAll(/require\("\.\/([\w.-]+\.js)"\)/g)].map((m) => m[1]);
    const main = chunks("extension.js");
    expect([...new Set(main)].sort()).toEqual(["extension-engine.js", "extension-hub.js", "extension-lab.js"]);
    for (const c of [...main, ...chunks("extension-lab.js"), ...chunks("extension-hub.js")]) {
      expect(existsSync(join(ROOT, "dist", c)), c).toBe(true);
      expect(ignore).toContain(`!dist/${c}`);
    }
    // The knowledge base lives in the engine bundle, not in the one activation parses.
    expect(readFileSync(join(ROOT, "dist", "extension.js"), "utf8")).not.toContain("gemma3n");
    expect(readFileSync(join(ROOT, "dist", "extension-engine.js"), "utf8")).toContain("gemma3n");
  });
});

describe("layering", () => {
  const dir = join(ROOT, "src", "extension");
  const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));
  const imports = (f: string) =>
    [...readFileSync(join(dir, f), "utf8").matchAll(/^(import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)"/gm)].map((m) => ({ spec: m[3], typeOnly: !!m[2] }));

  it("only host.ts imports vscode (extension.ts only its types)", () => {
    for (const f of files) {
      for (const i of imports(f)) {
        if (i.spec !== "vscode") continue;
        expect(f === "host.ts" || (f === "extension.ts" && i.typeOnly), `${f} imports vscode`).toBe(true);
      }
    }
  });

  it("the activation path imports the engine only as types; engine.ts is loaded with import()", () => {
    // Modules evaluated at activation: extension.ts and what it reaches statically.
    const lazy = new Set(["engine.ts", "hover.ts", "ignore.ts", "norm-lab.ts"]);
    const seen = new Set<string>();
    const visit = (f: string) => {
      if (seen.has(f)) return;
      seen.add(f);
      for (const i of imports(f)) {
        if (i.typeOnly) continue;
        if (i.spec.startsWith("./")) {
          const target = `${i.spec.slice(2)}.ts`;
          expect(lazy.has(target), `${f} imports ${target} statically`).toBe(false);
          visit(target);
        } else {
          // Allowed at activation: vscode and the small file reader (non-blocking opens, ranged reads).
          expect(["vscode", "../node/access"], `${f} imports ${i.spec} statically`).toContain(i.spec);
        }
      }
    };
    visit("extension.ts");
    expect(seen.has("controller.ts")).toBe(true);
    expect(readFileSync(join(dir, "controller.ts"), "utf8")).toContain('await import("./engine")');
  });
});
