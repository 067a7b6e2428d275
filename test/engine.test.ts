import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyEdits, defaultSettings, fixConfigText, lintConfig, loadConfig, resolveSettings } from "../src/engine/index";
import { decodeText, findExcessiveNesting, parseJson } from "../src/engine/parsers/json";

const enc = new TextEncoder();
const lint = (text: string) => lintConfig({ path: "config.json", text });
const lintBytes = (bytes: Uint8Array) => lintConfig({ path: "config.json", bytes });
const ids = (r: { findings: Array<{ rule: string; messageId: string }> }) => r.findings.map((f) => `${f.rule}/${f.messageId}`);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe("engine purity", () => {
  it("src/engine imports neither vscode nor node built-ins", () => {
    const root = join(__dirname, "..", "src", "engine");
    const files = filesUnder(root).filter((f) => /\.(ts|js)$/.test(f));
    expect(files.length).toBeGreaterThan(10);
    const builtins = /^(node:|fs$|path$|os$|crypto$|child_process$|url$|util$|vscode$|buffer$|stream$)/;
    for (const f of files) {
      const src = readFileSync(f, "utf8");
      for (const m of src.matchAll(/(?:import|export)[^"'`]*?from\s*["']([^"']+)["']|require\(\s*["']([^"']+)["']\s*\)|import\(\s*["']([^"']+)["']\s*\)/g)) {
        const spec = m[1] ?? m[2] ?? m[3];
        expect(builtins.test(spec), `${f} imports ${spec}`).toBe(false);
      }
    }
  });

  it("nothing under src/ imports webview/ (the page imports src/gpu, never the reverse)", () => {
    const root = join(__dirname, "..", "src");
    const files = filesUnder(root).filter((f) => /\.(ts|js)$/.test(f));
    for (const f of files) {
      for (const m of readFileSync(f, "utf8").matchAll(/(?:from\s*|import\(\s*)["']([^"']+)["']/g)) {
        expect(/(^|\/)webview\//.test(m[1]), `${f} imports ${m[1]}`).toBe(false);
      }
    }
  });
});

describe("JSON as Python reads it", () => {
  it("reports a UTF-8 BOM with a safe fix that removes exactly it", () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode('{"model_type": "llama", "rms_norm_eps": 1e-6}')]);
    const r = lintBytes(bytes);
    expect(ids(r)).toEqual(["invalid-json/bom"]);
    const fixed = fixConfigText({ path: "config.json", bytes }, defaultSettings());
    expect(fixed).toBe('{"model_type": "llama", "rms_norm_eps": 1e-6}');
  });

  it("refuses binary junk and invalid UTF-8 with the byte offset", () => {
    const junk = new Uint8Array(4096).map((_, i) => (i * 7919) & 0xff);
    expect(ids(lintBytes(junk))).toEqual(["invalid-json/undecodable"]);
    const bad = enc.encode('{"model_type": "llama", "x": "');
    const r = lintBytes(new Uint8Array([...bad, 0xc3, 0x28, 0x22, 0x7d]));
    expect(r.findings[0].message).toContain(`byte ${bad.length}`);
    expect(decodeText(enc.encode("{}")).ok).toBe(true);
  });

  it("stops at 512 levels of nesting without recursing (100,000 levels)", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    expect(findExcessiveNesting(deep)).toBe(512);
    const r = lint(`{"model_type": "llama", "x": ${deep}}`);
    expect(ids(r)).toEqual(["invalid-json/tooDeep"]);
  });

  it("reads NaN and Infinity as Python does and flags them as eps values", () => {
    const doc = parseJson('{"a": NaN, "b": -Infinity, "c": Infinity}');
    expect(doc.problems).toEqual([]);
    const r = lint('{"model_type": "gemma", "rms_norm_eps": -Infinity}');
    expect(ids(r)).toEqual(["eps-value-invalid/notFinite"]);
  });

  it("reports comments as unsafe-fix findings and lints the rest", () => {
    const r = lint('{"model_type": "llama", /* note */ "layer_norm_eps": 1e-5}');
    expect(ids(r)).toEqual(["invalid-json/comment", "eps-key-unused/unused"]);
    expect(r.findings[0].fixes[0].safe).toBe(false);
  });

  it("leaves JSON that is not a model config alone", () => {
    expect(lint('{"name": "tokenizer", "eps": "x"}').status).toBe("skipped");
    expect(lint("[1, 2]").status).toBe("skipped");
    // An architectures entry is enough to infer the family.
    const r = lint('{"architectures": ["LlamaForCausalLM"], "layer_norm_eps": 1e-5}');
    expect(r.status).toBe("config");
    expect(ids(r)).toEqual(["eps-key-unused/unused"]);
  });

  it("lints nested sub-configs with their own family", () => {
    const r = lint('{"model_type": "gemma3", "text_config": {"rms_norm_epsilon": 1e-6}, "vision_config": {"model_type": "siglip_vision_model", "layer_norm_eps": 1e-6}}');
    expect(ids(r)).toEqual(["eps-key-misspelled/misspelled"]);
    expect(r.findings[0].message).toContain("Gemma3TextConfig");
  });

  it("suggests no near model_type when the repository's own code builds the config (auto_map.AutoConfig)", () => {
    expect(ids(lint('{"model_type": "molmo", "hidden_size": 64}'))).toEqual(["unknown-model-type/typo"]);
    const remote = lint('{"auto_map": {"AutoConfig": "config_molmo.MolmoConfig"}, "model_type": "molmo", "hidden_size": 64}');
    expect(ids(remote)).toEqual(["unknown-model-type/unknown"]);
    expect(remote.findings[0].fixes ?? []).toEqual([]);
    // A sub-config of a remote-code config is built by that code too (the remote Florence-2's DaViT vision config).
    expect(ids(lint('{"auto_map": {"AutoConfig": "configuration_x.XConfig"}, "model_type": "my_private_arch_v7", "vision_config": {"model_type": "davit"}}'))).toEqual([
      "unknown-model-type/unknown",
      "unknown-model-type/unknown",
    ]);
    // An auto_map without an AutoConfig does not make the config remote code: a near type is still suggested.
    expect(ids(lint('{"auto_map": {"AutoModel": "modeling_x.XModel"}, "model_type": "molmo"}'))).toEqual(["unknown-model-type/typo"]);
  });

  it("says which key is read, its effective value, and whether the ignored one differs", () => {
    const [same] = lint('{"model_type": "llama", "rms_norm_eps": 1e-5, "layer_norm_eps": 1e-5}').findings;
    expect(same.message).toMatch(/`rms_norm_eps` = 1e-5 \(set in this file\); the ignored value is the same/);
    const [differs] = lint('{"model_type": "starcoder2", "rms_norm_eps": 1e-6}').findings;
    expect(differs.message).toMatch(/`norm_epsilon` = 1e-5 \(its default\); the ignored value 1e-6 differs/);
  });
});

describe("edits", () => {
  it("applies non-overlapping edits and leaves overlapping ones for a later pass", () => {
    expect(applyEdits("abcdef", [{ start: 1, end: 2, text: "X" }, { start: 4, end: 6, text: "" }])).toBe("aXcd");
    expect(applyEdits("abcdef", [{ start: 1, end: 4, text: "" }, { start: 2, end: 3, text: "Y" }])).toBe("abYdef");
  });

  it("removes trailing commas everywhere and is idempotent", () => {
    const text = '{\n  "model_type": "llama",\n  "a": [1, 2,],\n  "rms_norm_eps": 1e-6,\n}\n';
    const fixed = fixConfigText({ path: "c.json", text }, defaultSettings())!;
    expect(JSON.parse(fixed)).toEqual({ model_type: "llama", a: [1, 2], rms_norm_eps: 1e-6 });
    expect(fixConfigText({ path: "c.json", text: fixed }, defaultSettings())).toBeUndefined();
  });
});

describe(".normlint.json resolution", () => {
  const cfg = (json: string) => loadConfig(json, "/p/.normlint.json", "/p");

  it("applies rules by name, code, prefix and tag, the most specific winning", () => {
    const { loaded, findings } = cfg('{"rules": {"eps": "error", "NL1": "info", "NL103": "off", "duplicate-key": "error"}}');
    expect(findings).toEqual([]);
    const s = resolveSettings(loaded, "m/config.json");
    expect(s.levels.get("eps-key-unused")).toBe("info"); // NL1 prefix beats the tag
    expect(s.levels.get("eps-value-invalid")).toBe("off");
    expect(s.levels.get("duplicate-key")).toBe("error");
    expect(s.levels.get("invalid-json")).toBe("error");
  });

  it("applies overrides by glob and ignores by JSON pointer", () => {
    const { loaded } = cfg('{"overrides": [{"files": "legacy/**", "rules": {"all": "off"}}], "ignore": ["a/config.json#/layer_norm_eps"]}');
    expect(resolveSettings(loaded, "legacy/x/config.json").levels.get("invalid-json")).toBe("off");
    const s = resolveSettings(loaded, "a/config.json");
    const r = lintConfig({ path: "a/config.json", text: '{"model_type": "llama", "layer_norm_eps": 1e-5, "rms_nms_eps": 1}' }, s);
    expect(ids(r)).toEqual(["eps-key-misspelled/misspelled"]);
  });

  it("reports an invalid config and keeps its valid parts", () => {
    const { loaded, findings } = cfg('{"rules": {"eps-key-unsued": "off", "NL101": "error"}, "maxFileSize": -1}');
    expect(findings.map((f) => f.message)).toEqual([
      expect.stringContaining("did you mean `eps-key-unused`"),
      expect.stringContaining("maxFileSize"),
    ]);
    expect(resolveSettings(loaded, "config.json").levels.get("eps-key-unused")).toBe("error");
  });

  it("rejects a code prefix that selects no rule", () => {
    expect(cfg('{"rules": {"NL8": "off"}}').findings).toHaveLength(1);
    expect(cfg('{"rules": {"NL1": "off"}}').findings).toHaveLength(0);
  });

  it("--select and --ignore apply last", () => {
    const s = resolveSettings(undefined, "config.json", { select: ["eps"], ignore: ["NL102"] });
    expect(s.levels.get("eps-key-unused")).toBe("warning");
    expect(s.levels.get("eps-key-misspelled")).toBe("off");
    expect(s.levels.get("invalid-json")).toBe("off");
  });
});
