import { admits, guardStrings } from "../../analysis/conversions";
import type { OffsetConversion } from "../../analysis/declared-types";
import { defineRule, type PythonRuleContext } from "../../rule";
import { type Family, normTensors } from "../../knowledge/index";
import { factSource, servedLabel } from "./declared-shared";

type M = "plain" | "gated" | "missing";

const NORMISH = /norm|(^|[._])ln[_\d.]|(^|[._])ln$|layernorm/i;
const concrete = (t: string) => t.replace(/\{N\}/g, "0");

/** Norm tensors the family keeps without an offset although its main norm has one (gated norms). */
function plainInOffsetFamily(f: Family): Array<{ tensor: string; cls: string }> {
  const out: Array<{ tensor: string; cls: string }> = [];
  for (const c of f.classes ?? []) {
    if (c.offset || c.init === "none" || c.kind !== "rms-gated") continue;
    for (const at of c.at) out.push({ tensor: concrete(`${at}.weight`), cls: c.name });
  }
  for (const e of f.gguf?.except ?? []) if (!out.some((o) => o.tensor.endsWith(e))) out.push({ tensor: `model.layers.0.${e}`, cls: e });
  return out;
}

/** Does a conversion touch this tensor? */
function touches(c: OffsetConversion, tensor: string): boolean {
  if (c.names) return c.names.some((n) => tensor.endsWith(n) || tensor.endsWith(`${n}.weight`));
  return admits(c.guard, tensor) === true;
}

/** Does a conversion touch any norm tensor of a family that has no offset anywhere? */
function touchesPlainFamily(c: OffsetConversion, f: Family): string | undefined {
  if (c.names) return c.names.find((n) => NORMISH.test(n));
  const tensors = normTensors(f).map(concrete);
  if (tensors.length) return tensors.find((t) => admits(c.guard, t) === true);
  const strings = guardStrings(c.guard).filter((s) => NORMISH.test(s));
  return strings.length && admits(c.guard, `model.layers.0.${strings[0].replace(/^\./, "")}`) === true ? strings[0] : undefined;
}

/**
 * ## What it does
 * Flags a weight conversion that adds (or removes) 1 on norm weights against the family it
 * converts: `data_torch + 1` in a GGUF converter registered for a family whose norms scale by the
 * plain weight (Gemma 3n, Gemma 4), `v + 1.0` in a sanitize() or `ArithmeticTensorConversion(ADDITION, 1.0)`
 * for such a family, a condition that also lets the gated norm through (Qwen3-Next and Qwen3.5
 * keep `linear_attn.norm.weight` without offset), and a llama.cpp converter for a family whose GGUF
 * stores `1 + weight` (the knowledge base's `gguf.foldsOffset`) that never adds the 1.
 *
 * ## Why is this bad?
 * Runtimes that read the converted weights scale by them directly. Adding 1 to a plain scale
 * doubles every normalized activation; forgetting it for a Gemma 1-3 checkpoint leaves scales near
 * 0. The converted model loads and runs, with garbage output.
 *
 * ## Example
 * `if name.endswith("norm.weight"): data_torch = data_torch + 1` in a Qwen3-Next converter.
 *
 * ## Use instead
 * `if name.endswith("norm.weight") and not name.endswith("linear_attn.norm.weight"): data_torch = data_torch + 1`.
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "converter-offset-contradicts-family",
  code: "NL211",
  severity: "error",
  input: "python",
  tags: ["modeling", "declared", "offset", "conversion"],
  fix: "none",
  summary: "a weight conversion adds or removes 1 on norm weights against the family",
  messages: {
    plain: "This conversion {{op}} 1 on `{{tensor}}` for {{family}}, but {{family_name}} scales its norms by `weight`, no offset ({{src}}).",
    gated: "This conversion also adds 1 to `{{tensor}}`: {{family}} keeps that norm ({{cls}}) without offset ({{src}}); exclude it from the condition.",
    missing: "`{{cls}}` converts {{family}} to GGUF without adding 1 to its norm weights, but the GGUF of {{family_name}} stores `1 + weight` ({{src}}).",
  },
  check(ctx) {
    const declared = ctx.module?.declared;
    if (!declared) return;
    const seen = new Set<string>();
    const once = (key: string) => (seen.has(key) ? false : (seen.add(key), true));
    for (const c of declared.conversions) {
      for (const f of c.serves?.families ?? []) {
        const offsetAnywhere = f.offset || (f.classes ?? []).some((k) => k.offset);
        if (!offsetAnywhere && f.norm !== "none") {
          const tensor = touchesPlainFamily(c, f);
          if (tensor && once(`${c.range.start}:plain`)) {
            ctx.report({ messageId: "plain", at: c.range, data: { op: c.delta > 0 ? "adds" : "subtracts", tensor, family: servedLabel(f, c.serves), family_name: f.modelType, src: factSource(f) } });
          }
        } else if (f.offset && c.delta > 0) {
          const hit = plainInOffsetFamily(f).find((g) => touches(c, g.tensor));
          if (hit && once(`${c.range.start}:gated`)) {
            ctx.report({ messageId: "gated", at: c.range, data: { tensor: hit.tensor.replace(/^model\.(language_model\.)?layers\.0\./, ""), family: servedLabel(f, c.serves), cls: /^[A-Z]/.test(hit.cls) ? `\`${hit.cls}\`` : "a gated norm", src: factSource(f, c.gguf ? "gguf" : "modeling") } });
          }
        }
      }
    }
    for (const m of declared.missingFolds) {
      const f = m.serves.families[0];
      ctx.report({ messageId: "missing", at: m.range, data: { cls: m.cls, family: servedLabel(f, m.serves), family_name: f.modelType, src: factSource(f, "gguf") } });
    }
  },
});
