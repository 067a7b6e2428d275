// JSON Schemas generated from rule metadata and the knowledge base. Tests fail when the committed
// copies in schemas/ are stale; `npm run build` rewrites them.
import { allFamilies, describeNorm, type Family, knownEpsKeys } from "../engine/knowledge/index";
import { ALL_TAGS, RULES } from "../engine/registry";
import { formatValue } from "../engine/util/text";

const LEVEL = { enum: ["off", "info", "warning", "error"] };

export function normlintSchema(): Record<string, unknown> {
  const selectors: Record<string, unknown> = {};
  for (const r of RULES) {
    selectors[r.name] = { ...LEVEL, description: `${r.code} (default ${r.severity}): ${r.summary}.` };
    selectors[r.code] = { ...LEVEL, description: `${r.name} (default ${r.severity}): ${r.summary}.` };
  }
  for (const t of ALL_TAGS) selectors[t] = { ...LEVEL, description: `Every rule tagged \`${t}\`.` };
  selectors.all = { ...LEVEL, description: "Every rule." };
  // Code prefixes that select at least one rule (NL, NL1, NL10...); an empty prefix is a typo.
  for (const r of RULES) {
    for (let n = 2; n < r.code.length; n++) {
      const prefix = r.code.slice(0, n);
      selectors[prefix] ??= { ...LEVEL, description: `Every rule whose code starts with ${prefix}.` };
    }
  }
  const rules = {
    type: "object",
    description: "Rule levels by rule name, code, code prefix (NL1), tag or `all`; the most specific selector wins.",
    properties: selectors,
    additionalProperties: false,
  };
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://normlint.dev/schemas/normlint.schema.json",
    title: "normlint configuration (.normlint.json)",
    type: "object",
    additionalProperties: false,
    properties: {
      $schema: { type: "string" },
      root: { type: "boolean", description: "Informational: normlint uses the nearest .normlint.json only and never merges parents." },
      rules,
      overrides: {
        type: "array",
        description: "Rule levels for files matching globs (relative to this file's folder); later entries win.",
        items: {
          type: "object",
          required: ["files", "rules"],
          additionalProperties: false,
          properties: { files: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] }, rules },
        },
      },
      ignore: {
        type: "array",
        description: "Findings to ignore: `path/glob#/json/pointer` (every rule at that key), or an object naming rules.",
        items: {
          anyOf: [
            { type: "string", minLength: 1 },
            {
              type: "object",
              required: ["path"],
              additionalProperties: false,
              properties: { path: { type: "string", minLength: 1 }, rules: { type: "array", items: { type: "string" } }, reason: { type: "string" } },
            },
          ],
        },
      },
      exclude: { type: "array", items: { type: "string" }, description: "Globs of files and folders the CLI and the extension skip." },
      maxFileSize: { type: "integer", minimum: 1, description: "Config files larger than this many bytes are skipped with file-too-large (default 8 MiB)." },
    },
  };
}

function typeOfDefault(v: unknown): Record<string, unknown> {
  if (typeof v === "boolean") return { type: "boolean" };
  if (typeof v === "number") return { type: "number" };
  // The extraction keeps a default that is no literal as its source text (src/engine/knowledge/extract
  // /source.ts literal()): Florence-2's `patch_prenorm` defaults to "(False, True, True, True)", a tuple
  // that config.json holds as a list, and a call (`tuple(OPENAI_CLIP_MEAN)`), are not typed.
  if (typeof v === "string") return /^[(\[{]|\w\(/.test(v) ? {} : { type: "string" };
  return {};
}

function familySchema(f: Family): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(f.eps)) {
    props[k] = { type: "number", exclusiveMinimum: 0, description: `Read by ${f.config} (default ${formatValue(d)}). ${f.modelType} norms: ${describeNorm(f)}.` };
  }
  for (const [k, d] of Object.entries(f.normKeys ?? {})) {
    props[k] = { ...typeOfDefault(d), description: `Read by ${f.config} (default ${formatValue(d)}).` };
  }
  for (const k of Object.keys(f.sub ?? {})) props[k] = { type: ["object", "null"], description: `Sub-config read by ${f.config}.` };
  return { type: "object", properties: props };
}

const INT = { type: "integer", minimum: 0 };

export function hfConfigSchema(): Record<string, unknown> {
  const epsProps: Record<string, unknown> = {};
  for (const k of knownEpsKeys()) epsProps[k] = { type: "number", exclusiveMinimum: 0, description: "A norm eps; which key a family reads depends on its config class." };
  const base = {
    type: "object",
    properties: {
      // transformers itself wrote `"model_type": ""` for sub-configs whose class set none and
      // `"transformers_version": null` at the top of composite configs (facebook/sam-vit-huge saved by
      // 4.29.0.dev0, vision-encoder-decoder configs by 4.22.0.dev0): files it loads, so neither is flagged.
      model_type: { type: "string" },
      architectures: { type: ["array", "null"], items: { type: "string" } },
      // PreTrainedConfig declares `transformers_version: str | None = None` (transformers 5.18.0
      // configuration_utils.py:299): null loads as the default.
      transformers_version: { type: ["string", "null"] },
      torch_dtype: { type: ["string", "null"] },
      dtype: { type: ["string", "null"] },
      hidden_size: INT,
      intermediate_size: INT,
      num_hidden_layers: INT,
      num_attention_heads: INT,
      num_key_value_heads: { type: ["integer", "null"], minimum: 0 },
      head_dim: { type: ["integer", "null"], minimum: 0 },
      vocab_size: INT,
      max_position_embeddings: INT,
      tie_word_embeddings: { type: "boolean" },
      ...epsProps,
    },
  };
  const defs: Record<string, unknown> = { base };
  const dispatch: unknown[] = [{ $ref: "#/$defs/base" }];
  for (const f of [...allFamilies()].sort((a, b) => a.modelType.localeCompare(b.modelType))) {
    if (!Object.keys(f.eps).length && !Object.keys(f.normKeys ?? {}).length && !Object.keys(f.sub ?? {}).length) continue;
    defs[f.modelType] = familySchema(f);
  }
  for (const t of Object.keys(defs)) {
    if (t !== "base") dispatch.push({ if: { properties: { model_type: { const: t } }, required: ["model_type"] }, then: { $ref: `#/$defs/${t}` } });
  }
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://normlint.dev/schemas/hf-config.schema.json",
    title: "Hugging Face model config.json (norm-related keys, per model_type)",
    $comment: "Generated from normlint's knowledge base; only keys normlint checks are described.",
    allOf: dispatch,
    $defs: defs,
  };
}
