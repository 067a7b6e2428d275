// Fuzzing config.json linting (lintConfig, fixConfigText) and .normlint.json loading (loadConfig,
// resolveSettings): random JSON, real-shaped Hugging Face configs from the knowledge base, and both
// mutated at the text and byte level. fast-check, not a fixed corpus: it generates inputs no one
// would write by hand (a lone surrogate inside a key, 513 levels of nesting after a NaN), shrinks a
// failure to a small counterexample, and replays it from the printed seed.
import fc from "fast-check";
import { describe, it } from "vitest";
import { type FileSettings, defaultSettings, fixConfigText, lintConfig, loadConfig, resolveSettings, RULES } from "../../src/engine/index";
import { allFamilies, knownEpsKeys } from "../../src/engine/knowledge/index";
import {
  assertDeterministic,
  assertFindingsInside,
  assertFixIdempotent,
  assertRange,
  fuzz,
  hasSafeFix,
  mutateText,
  PROTOTYPE_NAMES,
  reportCounts,
  textMutations,
  useWatchdog,
} from "./harness";
import { byteMutations, mutateBytes } from "../harness/mutate";

useWatchdog();
reportCounts("config");

const enc = new TextEncoder();
const families = [...allFamilies()];
const modelTypes = families.map((f) => f.modelType);
const archs = families.flatMap((f) => f.arch ?? []);
const epsKeys = [...knownEpsKeys(), "rms_norm_epsilon", "layernorm_eps", "norm_epsilon", "eps", "layer_norm_epsilon"];

// Placeholders that serialization turns into Python's NaN/Infinity literals.
const SPECIALS: Record<string, string> = { "\u0001NaN": "NaN", "\u0001Inf": "Infinity", "\u0001-Inf": "-Infinity" };
const special = fc.constantFrom(...Object.keys(SPECIALS));

const epsValue = fc.oneof(
  fc.constantFrom(1e-6, 1e-5, 1e-12, 0, -1e-6, 1, 1e300, 5e-324),
  fc.double(),
  fc.constantFrom("1e-6", "", null, true, [1e-6], { value: 1e-6 }),
  special,
);

const scalar = fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), special);

/** A config object shaped like a Hugging Face config.json, optionally with nested sub-configs. */
const hfConfig: fc.Arbitrary<Record<string, unknown>> = fc.letrec((tie) => ({
  config: fc
    .record(
      {
        model_type: fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom(...modelTypes) },
          { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom(...PROTOTYPE_NAMES)) },
          { weight: 1, arbitrary: scalar },
        ),
        architectures: fc.oneof(fc.array(fc.constantFrom(...archs), { maxLength: 3 }), fc.array(fc.string({ maxLength: 12 }), { maxLength: 2 }), scalar),
        eps: fc.dictionary(fc.constantFrom(...epsKeys), epsValue, { maxKeys: 3 }),
        hidden_size: fc.oneof(fc.constantFrom(64, 2048, 0, -1), scalar),
        num_hidden_layers: fc.oneof(fc.integer({ min: 0, max: 80 }), scalar),
        num_attention_heads: fc.oneof(fc.integer({ min: 0, max: 64 }), scalar),
        torch_dtype: fc.constantFrom("bfloat16", "float16", "float32", "int8", 7),
        extra: fc.dictionary(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom(...PROTOTYPE_NAMES)), fc.oneof(scalar, fc.constantFrom({}, { model_type: "llama" })), { maxKeys: 3 }),
        text_config: fc.option(tie("config"), { depthSize: "small", nil: undefined }),
        vision_config: fc.option(tie("config"), { depthSize: "small", nil: undefined }),
      },
      { requiredKeys: [] },
    )
    .map(({ eps, extra, ...rest }) => ({ ...extra, ...rest, ...eps }) as Record<string, unknown>),
})).config;

/** JSON text with random layout, Python's special literals spliced in. */
function serialize(value: unknown, indent: number | string): string {
  let text = JSON.stringify(value, null, indent) ?? "null";
  for (const [k, v] of Object.entries(SPECIALS)) text = text.split(JSON.stringify(k)).join(v);
  return text;
}

const indent = fc.constantFrom<number | string>(0, 2, 4, "\t");
const configText = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(hfConfig, indent).map(([c, i]) => serialize(c, i)) },
  { weight: 1, arbitrary: fc.tuple(fc.jsonValue({ maxDepth: 4 }), indent).map(([v, i]) => serialize(v, i)) },
);

const JSON_TOKENS = [...PROTOTYPE_NAMES, "{", "}", "[", "]", ",", ":", '"', "NaN", "Infinity", "-Infinity", "null", "true", "1e-6", "-0", "1e400", "// c\n", "/* c */", "/*", '"model_type": "gemma",', '"rms_norm_eps": 1e-6,', ",}", ",]", '"\\', '"\\u12', "\n", " "];
const mutations = textMutations(JSON_TOKENS);

/** A random .normlint.json, valid or not: levels, overrides, ignores with JSON pointers, sizes. */
const level = fc.oneof(fc.constantFrom("off", "info", "warning", "error"), scalar);
const selector = fc.oneof(fc.constantFrom(...RULES.map((r) => r.name), ...RULES.map((r) => r.code), "NL", "NL1", "all", "ALL", "meta"), fc.string({ maxLength: 8 }));
const glob = fc.oneof(fc.constantFrom("config.json", "*.json", "**/*", "sub/**", "./config.json", "[", "{a,b}", "!x", "**"), fc.string({ maxLength: 8 }));
const pointer = fc.oneof(fc.constantFrom("", "/", "/model_type", "/rms_norm_eps", "/text_config", "/text_config/model_type", "/architectures/0", "/a~1b", "/~", "/~2"), fc.string({ maxLength: 10 }));
const normlintConfig = fc.record(
  {
    root: fc.oneof(fc.boolean(), scalar),
    rules: fc.oneof(fc.dictionary(selector, level, { maxKeys: 4 }), scalar),
    overrides: fc.oneof(fc.array(fc.record({ files: fc.oneof(glob, fc.array(glob, { maxLength: 2 }), scalar), rules: fc.oneof(fc.dictionary(selector, level, { maxKeys: 3 }), scalar) }, { requiredKeys: [] }), { maxLength: 3 }), scalar),
    ignore: fc.oneof(
      fc.array(fc.oneof(fc.tuple(glob, pointer).map(([g, p]) => `${g}#${p}`), glob, fc.record({ path: fc.oneof(glob, scalar), rules: fc.array(selector, { maxLength: 2 }) }, { requiredKeys: [] }), scalar), { maxLength: 4 }),
      scalar,
    ),
    exclude: fc.oneof(fc.array(fc.oneof(glob, scalar), { maxLength: 3 }), scalar),
    maxFileSize: fc.oneof(fc.constantFrom(0, 1, 100, 1e9, -5), scalar),
    junk: scalar,
  },
  { requiredKeys: [] },
);
const normlintText = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(normlintConfig, indent).map(([c, i]) => serialize(c, i)) },
  { weight: 2, arbitrary: fc.tuple(normlintConfig, indent, mutations).map(([c, i, m]) => mutateText(serialize(c, i), m)) },
  { weight: 1, arbitrary: fc.tuple(fc.jsonValue({ maxDepth: 3 }), indent).map(([v, i]) => serialize(v, i)) },
);
const relPath = fc.constantFrom("config.json", "sub/config.json", "a/b/c/config.json", ".hidden/config.json", "x.json");

/** Settings from a .normlint.json: errors must come back as findings, never as exceptions. */
function settingsFrom(text: string, rel: string): FileSettings {
  const { loaded, findings } = assertDeterministic("loadConfig", () => loadConfig(text, ".normlint.json", ""));
  assertFindingsInside(findings, () => text.length);
  return assertDeterministic("resolveSettings", () => resolveSettings(loaded, rel));
}

/** Lints a config text (or bytes) and checks every invariant, the fixes included. */
function checkConfig(input: { text?: string; bytes?: Uint8Array }, settings: FileSettings): void {
  const path = "m/config.json";
  const result = assertDeterministic("lintConfig", () => lintConfig({ path, ...input }, settings));
  // A text over the size cap is not read: its findings refer to the empty text.
  const expected = input.text === undefined || input.text.length > settings.maxFileSize ? undefined : input.text;
  if (expected !== undefined && result.text !== expected) throw new Error("lintConfig returned a different text than it was given");
  assertFindingsInside(result.findings, () => result.text.length);
  if (result.status !== "config") return;
  // Fixes apply to the decoded text; bytes that do not decode have nothing to fix. Without a safe
  // fix the fix loop returns at once (the run above, being deterministic, is its first lint).
  if (!hasSafeFix(result.findings)) return;
  const fix = (text: string) => fixConfigText({ path, text }, settings);
  const fixed = assertFixIdempotent("fixConfigText", result.text, fix);
  if (fixed !== result.text) assertFindingsInside(lintConfig({ path, text: fixed }, settings).findings, () => fixed.length);
}

describe("fuzz: config.json", () => {
  const settings = defaultSettings();

  it("real-shaped configs and random JSON", () => {
    fuzz("config/generated", 1, [configText], (text) => checkConfig({ text }, settings));
  });

  it("mutated configs (inserts, deletes, truncation, comments, NaN, nesting, unicode)", () => {
    fuzz("config/mutated", 1.5, [configText, mutations], (text, ops) => checkConfig({ text: mutateText(text, ops) }, settings));
  });

  it("mutated bytes (invalid UTF-8, NUL, BOM)", () => {
    const bom = fc.boolean();
    fuzz("config/bytes", 0.7, [configText, byteMutations, bom], (text, ops, withBom) => {
      const bytes = enc.encode(text);
      checkConfig({ bytes: mutateBytes(withBom ? new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]) : bytes, ops) }, settings);
    });
  });

  it("duplicate keys, at any level", () => {
    fuzz("config/duplicates", 0.3, [hfConfig, fc.nat(), indent], (config, pick, ind) => {
      const text = serialize(config, ind);
      // Repeat one `"key": value` pair right after itself (the value up to the next comma or brace).
      const keys = [...text.matchAll(/"(?:[^"\\]|\\.)*"\s*:\s*(?:"(?:[^"\\]|\\.)*"|[^,{}[\]"]*)/g)];
      if (!keys.length) return checkConfig({ text }, settings);
      const m = keys[pick % keys.length];
      const end = m.index! + m[0].length;
      checkConfig({ text: `${text.slice(0, end)},${m[0]}${text.slice(end)}` }, settings);
    });
  });

  it("with the settings of a random .normlint.json (levels, overrides, pointer ignores)", () => {
    fuzz("config/with-settings", 0.5, [configText, mutations, normlintText, relPath, fc.boolean()], (text, ops, nl, rel, mutate) => {
      checkConfig({ text: mutate ? mutateText(text, ops) : text }, settingsFrom(nl, rel));
    });
  });

  it("over the size cap, and at its edge", () => {
    fuzz("config/size", 0.1, [configText, fc.integer({ min: -2, max: 2 })], (text, delta) => {
      const settings = { ...defaultSettings(), maxFileSize: Math.max(0, text.length + delta) };
      checkConfig({ text }, settings);
      const r = lintConfig({ path: "config.json", size: text.length + 10 }, settings);
      for (const f of r.findings) assertRange(f.rule, f.start, f.end, r.text.length);
    });
  });
});

describe("fuzz: .normlint.json", () => {
  it("loadConfig and resolveSettings: findings in range, no exception, deterministic", () => {
    fuzz("normlint/config", 1.5, [normlintText, relPath], (text, rel) => {
      const settings = settingsFrom(text, rel);
      for (const [rule, lvl] of settings.levels) {
        if (!["off", "info", "warning", "error"].includes(lvl)) throw new Error(`${rule} resolved to level ${JSON.stringify(lvl)}`);
      }
      if (!(typeof settings.maxFileSize === "number" && settings.maxFileSize > 0)) throw new Error(`maxFileSize resolved to ${settings.maxFileSize}`);
    });
  });
});
