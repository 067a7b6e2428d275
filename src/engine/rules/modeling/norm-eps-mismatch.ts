import type { EpsSource, NormFacts, Range } from "../../analysis/types";
import { defineRule, type PythonRuleContext } from "../../rule";
import { formatNumber } from "../../util/text";
import { checkedNorms, factsLabel, sameNumber } from "./shared";

type M = "literal" | "default";

/**
 * ## What it does
 * Flags a norm whose eps is hard-coded (a literal in `__init__`, in `forward`, or at the place the
 * norm is built, including torch's implicit default when none is passed) and differs from the
 * default its family's config gives that norm.
 *
 * ## Why is this bad?
 * The checkpoint's config carries the eps the model was trained with; a hard-coded value ignores
 * it. A Llama port with `eps=1e-5` where the config says 1e-6, or `nn.LayerNorm(d)` (1e-5) in a
 * BERT-style model trained with 1e-12, shifts every normalized activation slightly, and the error
 * compounds through the layers.
 *
 * ## Example
 * `self.norm = nn.LayerNorm(config.hidden_size)` where the family reads `layer_norm_eps` (1e-12).
 *
 * ## Use instead
 * `self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)`
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "norm-eps-mismatch",
  code: "NL206",
  severity: "warning",
  input: "python",
  tags: ["modeling", "eps"],
  fix: "none",
  summary: "hard-coded eps that differs from the family's default",
  messages: {
    literal: "Hard-coded eps {{value}}, but {{family}} defaults to {{expected}}{{key}}.",
    default: "`{{callee}}` gets no eps and so uses {{value}}, but {{family}} defaults to {{expected}}{{key}}.",
  },
  check(ctx) {
    const m = ctx.module;
    if (!m) return;
    const seen = new Set<number>();
    const check = (eps: EpsSource | undefined, f: NormFacts | undefined, at: Range | undefined, callee?: string) => {
      if (!eps || !f || f.epsDefault === undefined || !at || seen.has(at.start)) return;
      const key = f.epsKeys.length ? ` (\`${f.epsKeys.join("`/`")}\`)` : "";
      const data = { value: eps.value === undefined ? "the dtype's machine epsilon" : formatNumber(eps.value), expected: formatNumber(f.epsDefault), family: factsLabel(f), key, callee: callee ?? "" };
      if (eps.kind === "literal" && eps.value !== undefined && !sameNumber(eps.value, f.epsDefault)) {
        seen.add(at.start);
        ctx.report({ messageId: "literal", at, data });
      } else if (eps.kind === "default" && callee && f.epsKeys.length && (eps.value === undefined || !sameNumber(eps.value, f.epsDefault))) {
        seen.add(at.start);
        ctx.report({ messageId: "default", at, data });
      }
    };
    for (const impl of checkedNorms(ctx)) {
      check(impl.compute?.eps, impl.facts, impl.compute?.eps?.range);
      check(impl.epsInInit, impl.facts, impl.epsInInit?.range);
    }
    for (const use of m.uses) {
      // Only a slot the knowledge base names pins an eps; a family's other LayerNorms may differ.
      if (use.insideNorm || (use.factsVia !== "slot" && use.factsVia !== "local")) continue;
      const callee = use.callee.replace(/^torch\.nn\.functional\./, "F.").replace(/^torch\./, "");
      check(use.eps, use.facts, use.eps.kind === "default" ? use.calleeRange : use.eps.range, use.eps.kind === "default" ? callee : undefined);
    }
  },
});
