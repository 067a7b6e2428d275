import { intValue, type ModelFolder } from "../../folder-model";
import { expectedQkShapes, qkNormFacts, type QkNormFact } from "../../knowledge/qk-norm";
import { property } from "../../parsers/json";
import { defineRule, type FolderRuleContext, rangeOf } from "../../rule";

type M = "unexpected" | "missing" | "shape" | "heads" | "codeSize";

/**
 * ## What it does
 * Checks a checkpoint's query/key norms against what the config makes the model build, for the
 * families whose q/k norms normlint knows (Qwen3, Gemma 3, OLMo 2/3, OLMoE, Cohere, Chameleon,
 * StableLM, Persimmon, Phi, GLM-4 MoE and others, each cited from its attention class):
 * - norms in the checkpoint that the config switches off (`use_qk_norm`, `qk_layernorm`, or their
 *   default) or none where it switches them on;
 * - their shape: `[head_dim]` shared by all heads (Qwen3), `[heads * head_dim]` over the whole
 *   projection (OLMo 2: not `[head_dim]`), `[heads, head_dim]` (Cohere, Chameleon), or one
 *   `[head_dim]` LayerNorm per head (StableLM's `q_layernorm.norms.{h}`), with `head_dim` as the
 *   attention computes it (the config's `head_dim` or its class default, else `hidden_size /
 *   num_attention_heads`).
 * - in the folder's modeling code, where it is plain to see: a q/k norm built over `hidden_size`
 *   where the family normalizes per head, or over `head_dim` where it normalizes the projection.
 *
 * ## Why is this bad?
 * A model built without q/k norms drops the checkpoint's norm weights with a warning and attends
 * with unnormalized queries and keys; one built with them but given none keeps them at their
 * initial value. Either way the logits are wrong and nothing fails. A norm sized for the whole
 * projection where the model normalizes per head (or the reverse) is a different operation: the
 * load fails, or a port that reshapes to fit computes the wrong statistics.
 *
 * ## Example
 * A StableLM checkpoint with `self_attn.q_layernorm.norms.0.weight` beside a config.json without
 * `"qk_layernorm": true`.
 *
 * ## Use instead
 * Set the config switch to match the checkpoint (`"qk_layernorm": true`), or fix `head_dim`.
 */
export default defineRule<M, FolderRuleContext<M>>({
  name: "qk-norm-config-mismatch",
  code: "NL219",
  severity: "error",
  input: "folder",
  tags: ["checkpoint", "norm"],
  fix: "none",
  summary: "q/k norms present, absent or sized against what the config declares",
  messages: {
    unexpected: "The checkpoint has q/k norms (`{{tensor}}`), but {{flag}}: {{family}} is built without them, drops these weights and attends with unnormalized queries and keys.",
    missing: "{{flag}}, so {{family}} builds `{{q}}`/`{{k}}` in every attention layer, but the checkpoint has none: they stay at their initial value.",
    shape: "`{{tensor}}` has shape [{{shape}}], but {{family}} builds it as [{{expected}}] ({{how}}){{more}}.",
    heads: "`{{module}}` of layer {{layer}} has {{count}} per-head norms, but {{family}} builds one per {{what}} ({{expected}}).",
    codeSize: "`{{slot}}` is built over `{{arg}}`, but {{family}} (this folder's config.json) normalizes {{how}}: its checkpoints hold [{{expected}}] weights.",
  },
  check(ctx) {
    const { family: fam, tensorShapes, textConfig, textScope, fromGguf, configPath, anchor, code } = ctx.folder;
    if (!fam || !configPath) return;
    const facts = qkNormFacts(fam.modelType);
    if (!facts) return;
    checkCode(ctx, code, fam.modelType, facts);
    if (fromGguf) return;
    const qk = collect(tensorShapes, facts);
    const attention = [...tensorShapes.keys()].some((n) => /(^|\.)layers\.\d+\.(self_attn|attention|attn)\./.test(n) && !foreign(n));
    const flagSet = facts.flag && typeof textConfig[facts.flag.key] === "boolean" ? (textConfig[facts.flag.key] as boolean) : undefined;
    const on = facts.flag ? flagSet ?? facts.flag.default : true;
    const flagProp = facts.flag ? property(textScope?.node, facts.flag.key) : undefined;
    const at = flagProp ? rangeOf(flagProp.valueNode) : anchor.range;
    const flagText = facts.flag
      ? flagSet === undefined
        ? `${configPath} does not set \`${facts.flag.key}\` (default ${facts.flag.default})`
        : `${configPath} sets \`${facts.flag.key}\` = ${flagSet}`
      : "";
    const family = fam.modelType;
    if (!on && qk.length) {
      ctx.report({ messageId: "unexpected", file: configPath, at, data: { tensor: qk[0].name, flag: flagText, family }, related: [{ file: qk[0].file, message: `${qk.length} q/k norm tensors` }] });
      return;
    }
    if (on && !qk.length) {
      if (facts.flag && flagSet === true && attention) ctx.report({ messageId: "missing", file: configPath, at, data: { flag: flagText, family, q: facts.q, k: facts.k } });
      return;
    }
    const hidden = intValue(textConfig, "hidden_size");
    const heads = intValue(textConfig, "num_attention_heads");
    if (!hidden || !heads) return;
    const kvHeads = intValue(textConfig, "num_key_value_heads") ?? heads;
    const headDimSet = intValue(textConfig, "head_dim");
    const expected = expectedQkShapes(facts, { hidden, heads, kvHeads, headDim: headDimSet });
    if (!expected) return;
    const how = howHeadDim(facts, expected.headDim, headDimSet, hidden, heads);
    const bad = qk.filter((t) => t.shape.join(",") !== expected[t.which].join(","));
    if (bad.length) {
      const first = bad[0];
      ctx.report({
        messageId: "shape",
        file: anchor.file,
        at: anchor.range,
        data: { tensor: first.name, shape: first.shape.join(", "), expected: expected[first.which].join(", "), family, how, more: bad.length > 1 ? ` (and ${bad.length - 1} more q/k norm tensors)` : "" },
        related: [{ file: first.file, message: `\`${first.name}\` is stored here` }],
      });
      return;
    }
    if (facts.shape !== "per-head") return;
    // One LayerNorm per head: as many as the heads (queries) or key/value heads (keys).
    for (const which of ["q", "k"] as const) {
      const byLayer = new Map<number, Set<number>>();
      for (const t of qk) if (t.which === which && t.head !== undefined) byLayer.set(t.layer, (byLayer.get(t.layer) ?? new Set()).add(t.head));
      const want = which === "q" ? heads : kvHeads;
      for (const [layer, hs] of [...byLayer].sort((a, b) => a[0] - b[0])) {
        if (hs.size === want && Math.max(...hs) === want - 1) continue;
        ctx.report({ messageId: "heads", file: anchor.file, at: anchor.range, data: { module: which === "q" ? facts.q : facts.k, layer, count: hs.size, family, what: which === "q" ? "attention head" : "key/value head", expected: `${which === "q" ? "num_attention_heads" : "num_key_value_heads"} = ${want}` } });
        return;
      }
    }
  },
});

interface QkTensor {
  name: string;
  file: string;
  shape: number[];
  which: "q" | "k";
  layer: number;
  head?: number;
}

/** Vision and audio towers have their own attention (and sometimes q/k norms): not the text model's. */
function foreign(name: string): boolean {
  return /(^|\.)(vision|visual|audio|vit|siglip|image|vision_tower|vision_model|mm_projector)[._]/.test(name);
}

function collect(tensorShapes: Map<string, { shape: number[]; file: string }>, facts: QkNormFact): QkTensor[] {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`(?:^|\\.)layers\\.(\\d+)\\.(?:self_attn|attention|attn)\\.(${esc(facts.q)}|${esc(facts.k)})\\.(?:norms\\.(\\d+)\\.)?weight$`);
  const out: QkTensor[] = [];
  for (const [name, { shape, file }] of tensorShapes) {
    const m = re.exec(name);
    if (!m || foreign(name)) continue;
    out.push({ name, file, shape, which: m[2] === facts.q ? "q" : "k", layer: Number(m[1]), ...(m[3] !== undefined ? { head: Number(m[3]) } : {}) });
  }
  return out.sort((a, b) => a.layer - b.layer || (a.which < b.which ? -1 : a.which > b.which ? 1 : 0) || (a.head ?? 0) - (b.head ?? 0));
}

function howHeadDim(f: QkNormFact, headDim: number, set: number | undefined, hidden: number, heads: number): string {
  const source = f.headDim.from === "hidden" || (set === undefined && f.headDim.default === undefined)
    ? `head_dim = hidden_size / num_attention_heads = ${hidden} / ${heads} = ${headDim}`
    : set !== undefined
      ? `head_dim = ${headDim}`
      : `head_dim = ${headDim}, the config class's default`;
  const shape = { head: "one weight shared by all heads", projection: "the whole projection, heads x head_dim", "head-matrix": "one row per head", "per-head": "one LayerNorm per head" }[f.shape];
  return `${shape}; ${source}`;
}

// In code, a q/k norm's size is statically clear when its first argument is a plain head_dim or
// hidden_size reference: `Qwen3RMSNorm(config.hidden_size)` in a Qwen3 folder, or
// `Olmo2RMSNorm(self.head_dim)` in an OLMo 2 one.
const HEAD_DIM_ARG = /^(self\.|config\.|self\.config\.)?head_dim$/;
const HIDDEN_ARG = /^(self\.|config\.|self\.config\.)?hidden_size$/;

function checkCode(ctx: FolderRuleContext<M>, code: ModelFolder["code"], family: string, facts: QkNormFact): void {
  if (facts.shape === "head-matrix") return;
  const perHead = facts.shape === "head" || facts.shape === "per-head";
  for (const c of code) {
    // Code that names another family is that family's business.
    const named = c.module.fileFamily;
    if (named && named.via !== "config-json" && named.family.modelType !== family) continue;
    for (const use of c.module.uses) {
      if (use.insideNorm || (use.slot !== facts.q && use.slot !== facts.k)) continue;
      const arg = firstArgument(c.text, use.calleeRange.end, use.range.end);
      if (!arg) continue;
      const wrong = perHead ? HIDDEN_ARG.test(arg.text) : HEAD_DIM_ARG.test(arg.text);
      if (!wrong) continue;
      ctx.report({
        messageId: "codeSize",
        file: c.path,
        at: arg.range,
        data: {
          slot: use.slot!,
          arg: arg.text,
          family,
          how: perHead ? "each head with a [head_dim] weight" : "the whole projection at once, over heads x head_dim",
          expected: perHead ? "head_dim" : "heads * head_dim",
        },
      });
    }
  }
}

/** The first positional argument of a call whose callee ends at `from`: its text and range. */
function firstArgument(text: string, from: number, end: number): { text: string; range: { start: number; end: number } } | undefined {
  let i = from;
  while (i < end && /\s/.test(text[i])) i++;
  if (text[i] !== "(") return undefined;
  let depth = 0;
  const start = i + 1;
  for (let j = start; j < end; j++) {
    const ch = text[j];
    if (ch === "(" || ch === "[" || ch === "{") depth++;
    else if (ch === ")" || ch === "]" || ch === "}") {
      if (depth === 0) return slice(text, start, j);
      depth--;
    } else if (ch === "," && depth === 0) return slice(text, start, j);
  }
  return undefined;
}

function slice(text: string, start: number, end: number): { text: string; range: { start: number; end: number } } | undefined {
  let raw = text.slice(start, end);
  // The size may be passed by name (`dim=config.head_dim`); another keyword first is unclear.
  const kw = /^\s*(\w+)\s*=(?!=)/.exec(raw);
  if (kw && !/^(dim|hidden_size|normalized_shape)$/.test(kw[1])) return undefined;
  if (kw) {
    start += kw[0].length;
    raw = raw.slice(kw[0].length);
  }
  const lead = raw.length - raw.trimStart().length;
  const body = raw.trim();
  if (!body) return undefined;
  return { text: body, range: { start: start + lead, end: start + lead + body.length } };
}
