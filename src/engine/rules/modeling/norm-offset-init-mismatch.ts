import { defineRule, type PythonRuleContext } from "../../rule";
import { factsLabel } from "./shared";

type M = "zerosPlain" | "onesOffset";

/**
 * ## What it does
 * Flags a norm weight initialised with zeros but applied as a plain scale (`x * w`), and one
 * initialised with ones but applied with a unit offset (`x * (1 + w)`), unless the knowledge base
 * records that combination as the family's own convention (Nemotron's LayerNorm1P is ones-init
 * with an offset).
 *
 * ## Why is this bad?
 * Zeros with a plain scale output zeros until training moves the weight; ones with an offset start
 * at twice the intended scale. Either way the init and the forward were written for different
 * conventions, and one of them is probably wrong for the checkpoint too.
 *
 * ## Example
 * `self.weight = nn.Parameter(torch.zeros(dim))` with `return x * self.weight`.
 *
 * ## Use instead
 * `self.weight = nn.Parameter(torch.ones(dim))` with `return x * self.weight`, or zeros with
 * `return x * (1 + self.weight)`.
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "norm-offset-init-mismatch",
  code: "NL203",
  severity: "warning",
  input: "python",
  tags: ["modeling", "offset", "init"],
  fix: "none",
  summary: "zeros-init weight with a plain scale, or ones-init with a unit offset",
  messages: {
    zerosPlain: "`{{param}}` starts at zeros but `{{cls}}` scales by it directly, so the norm outputs zeros until trained; use ones, or scale by `1 + {{param}}`.",
    onesOffset: "`{{param}}` starts at ones but `{{cls}}` scales by `1 + {{param}}`, so the initial scale is 2{{family}}; use zeros, or scale by `{{param}}`.",
  },
  check(ctx) {
    for (const impl of ctx.module?.norms ?? []) {
      const s = impl.compute?.scale;
      if (!s || s.implicit) continue;
      const p = impl.params.find((x) => x.name === s.param);
      if (!p || (p.init !== "ones" && p.init !== "zeros")) continue;
      const f = impl.facts;
      // The family's own convention is fine, also when the knowledge base's record of this very
      // class says _init_weights changes the init later (MoonshineStreamingLayerNorm builds ones,
      // then re-initialises to 1 - unit_offset = 0).
      if (f && f.offset === s.offset && (f.init === p.init || f.cls)) continue;
      const data = { param: p.name, cls: impl.name, family: f ? ` (${factsLabel(f)} starts at ${f.init === "none" ? "no weight" : f.init})` : "" };
      if (p.init === "zeros" && !s.offset) ctx.report({ messageId: "zerosPlain", at: p.range, data });
      else if (p.init === "ones" && s.offset) ctx.report({ messageId: "onesOffset", at: p.range, data });
    }
  },
});
