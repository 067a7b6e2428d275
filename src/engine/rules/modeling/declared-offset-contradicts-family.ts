import type { Declaration } from "../../analysis/declared-types";
import { defineRule, type PythonRuleContext } from "../../rule";
import type { Fix } from "../../types";
import { type Expected, factSource, offsetFact, scaleWords, servedFacts, servedLabel } from "./declared-shared";
import { fix, replace } from "./shared";

type M = "flag" | "argument" | "default" | "inherited" | "init";

/**
 * ## What it does
 * Flags a declared unit offset that contradicts the family it serves: a TransformerLens adapter
 * setting `cfg.rmsnorm_uses_offset = True` for Gemma 3n, a Liger-Kernel binding with `offset=0.0`
 * (or its default) for a Gemma 1-3 or Qwen3-Next norm, `add_unit_offset` in litgpt or
 * gemma_pytorch, MiniMax's `use_gemma_norm`, exllamav2's per-architecture `norm_constant_bias`
 * (its family read from the enclosing `if arch_string == "GemmaForCausalLM":`), and an adapter that never sets the flag and so
 * inherits a base adapter's value for another family. `init_fn="zeros"` (weights stored as an
 * offset from 1) for a family without an offset, or the reverse, is reported too. It is an error
 * where the value parameterises a norm computation and a warning where it is a flag read elsewhere.
 *
 * ## Why is this bad?
 * Whether a norm scales by `weight` or by `1 + weight` is fixed by the checkpoint: Gemma 1-3 and
 * Qwen3-Next store weights near 0, Gemma 3n and Gemma 4 store them near 1. A kernel or an
 * interpretability library that applies the other convention produces activations off by about
 * the whole signal, and nothing raises an error.
 *
 * ## Example
 * `self.cfg.rmsnorm_uses_offset = True` in `Gemma3nArchitectureAdapter`, or
 * `partial(_patch_rms_norm_module, offset=0.0)` in `apply_liger_kernel_to_gemma2`.
 *
 * ## Use instead
 * `self.cfg.rmsnorm_uses_offset = False` for Gemma 3n (as the Gemma 4 adapter does), and
 * `partial(_patch_rms_norm_module, offset=1.0, casting_mode="gemma")` for Gemma 2.
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "declared-offset-contradicts-family",
  code: "NL210",
  severity: "error",
  input: "python",
  tags: ["modeling", "declared", "offset"],
  fix: "unsafe",
  summary: "a declared unit offset contradicts the family it serves",
  messages: {
    flag: "`{{key}} = {{raw}}` declares a scale by {{declared}} for {{family}}, but {{fact}} ({{src}}).",
    argument: "`{{key}}={{raw}}` makes `{{callee}}` scale by {{declared}} for {{family}}, but {{fact}} ({{src}}).",
    default: "`{{callee}}` defaults to `{{key}}={{raw}}`, a scale by {{declared}}, and it serves {{family}}, where {{fact}} ({{src}}): pass `{{key}}={{want}}`.",
    inherited: "`{{cls}}` never sets `{{key}}`, so it keeps `{{raw}}` from {{from}}, a scale by {{declared}}; it serves {{family}}, where {{fact}} ({{src}}).",
    init: "`{{key}}={{raw}}` starts the weight at {{init}}, the identity for a scale by {{declared}}, for {{family}}, but {{fact}} ({{src}}).",
  },
  check(ctx) {
    const declared = ctx.module?.declared;
    if (!declared) return;
    const bad = (d: { value: unknown }, e: Expected) => (d.value as boolean) !== e.offset;
    const offsetSites = new Set<string>();
    for (const d of declared.declarations) {
      if (d.aspect !== "offset" || d.inPatch) continue;
      const wrong = servedFacts(d).filter((e) => bad(d, e));
      if (!wrong.length) continue;
      if (d.site) offsetSites.add(`${d.site.start}:${d.site.end}`);
      report(ctx, d, wrong);
    }
    for (const d of declared.declarations) {
      if (d.aspect !== "init" || d.inPatch || (d.site && offsetSites.has(`${d.site.start}:${d.site.end}`))) continue;
      const wrong = servedFacts(d).filter((e) => e.init !== "none" && (d.value === "zeros") !== e.offset);
      if (!wrong.length) continue;
      const e = wrong[0];
      ctx.report({
        messageId: "init",
        at: d.range,
        severity: "warning",
        data: { key: d.key, raw: d.form === "default" ? `"${String(d.value)}"` : d.raw, init: d.value === "zeros" ? "0" : "1", declared: scaleWords(d.value === "zeros"), family: servedLabel(e.family, d.serves), fact: offsetFact(e), src: factSource(e.family) },
        fixes: d.form === "default" ? [] : [fix(`Use \`${d.key}="${e.offset ? "zeros" : "ones"}"\``, [replace(d.range, quote(d.raw, e.offset ? "zeros" : "ones"))])],
      });
    }
    for (const h of declared.inherited) {
      const wrong = h.serves.families.filter((f) => f.offset !== h.value);
      if (!wrong.length) continue;
      const f = wrong[0];
      ctx.report({
        messageId: "inherited",
        at: h.range,
        severity: "warning",
        data: {
          cls: h.cls,
          key: h.key,
          raw: h.value ? "True" : "False",
          from: h.base && h.baseFamily ? `\`${h.base}\` (${h.baseFamily.modelType})` : "the config default",
          declared: scaleWords(h.value),
          family: servedLabel(f, h.serves),
          fact: offsetFact({ family: f, offset: f.offset, cast: f.cast, init: f.init }),
          src: factSource(f),
        },
      });
    }
  },
});

function quote(raw: string, v: string): string {
  return /^['"]/.test(raw) ? `${raw[0]}${v}${raw[0]}` : `"${v}"`;
}

function report(ctx: PythonRuleContext<M>, d: Declaration, wrong: Expected[]): void {
  const e = wrong[0];
  // A kernel's numeric offset argument (Liger's `offset=`) takes a float, also where only its default was seen.
  const numeric = d.form === "default" ? d.key === "offset" : !(typeof d.value === "boolean" || /^(True|False)$/.test(d.raw));
  const want = numeric ? (e.offset ? "1.0" : "0.0") : e.offset ? "True" : "False";
  const data = {
    key: d.key,
    raw: d.form === "default" ? (d.value === true ? "1.0" : "0.0") : d.raw,
    callee: d.callee ?? "",
    declared: scaleWords(d.value as boolean),
    family: wrong.map((x) => servedLabel(x.family, d.serves)).join(", "),
    fact: offsetFact(e),
    src: factSource(e.family),
    want,
  };
  if (d.key !== "offset" && d.form === "default") data.raw = d.value ? "True" : "False";
  const messageId: M = d.form === "default" ? "default" : d.effect === "numerics" ? "argument" : "flag";
  const fixes: Fix[] = d.form === "default" ? [] : [fix(`Use \`${want}\``, [replace(d.range, want)])];
  ctx.report({ messageId, at: d.range, severity: d.effect === "numerics" ? "error" : "warning", data, fixes });
}
