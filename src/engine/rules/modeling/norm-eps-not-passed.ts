import type { NormUse } from "../../analysis/types";
import { defineRule, type PythonRuleContext } from "../../rule";
import { formatNumber } from "../../util/text";
import { factsLabel, sameNumber } from "./shared";

type M = "notPassed" | "otherKey";

/**
 * ## What it does
 * Flags a norm built without the eps its family reads from the config, in a module that builds
 * another norm from a config eps (so the config is at hand and the omission is not a design), so
 * the class's own default applies whatever the config says; and a norm built from a config key the
 * family's config does not define (`eps=config.layer_norm_eps` in a family that reads
 * `rms_norm_eps`). Only norms in a
 * slot the knowledge base names (`input_layernorm`) or local norm classes held to the family are
 * checked; a hard-coded default that differs from the family's default is `norm-eps-mismatch`'s.
 *
 * ## Why is this bad?
 * A checkpoint's config carries the eps the model was trained with. A norm that never receives it
 * runs with the constructor's default: right for the base model by coincidence, wrong for every
 * fine-tune or sibling model whose config sets another value (transformers#38025, a
 * `Mistral3RMSNorm(hidden)` built without `config.rms_norm_eps`).
 *
 * ## Example
 * `self.input_layernorm = LlamaRMSNorm(config.hidden_size)`
 *
 * ## Use instead
 * `self.input_layernorm = LlamaRMSNorm(config.hidden_size, eps=config.rms_norm_eps)`
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "norm-eps-not-passed",
  code: "NL214",
  severity: "warning",
  input: "python",
  tags: ["modeling", "eps"],
  fix: "none",
  summary: "norm built without the config eps its family reads, or from another key",
  messages: {
    notPassed: "`{{callee}}` is built without an eps, so its default {{value}} applies whatever `{{key}}` the config sets; {{family}} reads `{{key}}` for this norm.",
    otherKey: "`{{callee}}` takes its eps from `{{used}}`, but {{family}} reads `{{key}}` for this norm.",
  },
  check(ctx) {
    const uses = ctx.module?.uses ?? [];
    // Owners that build another norm from a config eps: the config is at hand there, so a norm
    // built without one is an omission, not a design (transformers builds some norms with the
    // class default on purpose, e.g. audio towers).
    const configured = new Set(uses.filter((u) => u.owner && u.eps.kind === "config").map((u) => u.owner));
    for (const use of uses) {
      if (use.insideNorm || use.kind === "other" || !use.facts || (use.factsVia !== "slot" && use.factsVia !== "local")) continue;
      const f = use.facts;
      // `self.layer_norm_epsilon` is the family's attribute holding a config value, not a config key.
      const keys = f.epsKeys.filter((k) => /eps|epsilon/.test(k) && !k.startsWith("self."));
      if (!keys.length) continue;
      // The family's own code builds this class without an eps (or with a literal) somewhere: the
      // knowledge base cannot say the config key applies here.
      if ((f.cls?.eps ?? []).some((k) => k === "None" || /^-?[\d.]/.test(k))) continue;
      const key = keys[0].split(".").pop()!;
      const callee = calleeName(use);
      if (use.eps.kind === "default") {
        if (!use.owner || !configured.has(use.owner)) continue;
        // norm-eps-mismatch reports a default that differs from the family's.
        const differs = f.epsDefault !== undefined && (use.eps.value === undefined || !sameNumber(use.eps.value, f.epsDefault));
        if (differs) continue;
        ctx.report({ messageId: "notPassed", at: use.calleeRange, data: { callee, key, family: factsLabel(f), value: use.eps.value === undefined ? "(its own)" : formatNumber(use.eps.value) } });
      } else if (use.eps.kind === "config" && use.eps.key && use.eps.range) {
        const used = use.eps.key.split(".").pop()!;
        // A key the family's config does not define at all; one it defines may serve this norm in
        // a variant the knowledge base does not record.
        // A key of a config class the module declares itself (executorch's `@dataclass` model
        // configs) names that config's field, not the family's config key.
        if (!/eps|epsilon/.test(used) || keys.some((k) => k.split(".").pop() === used) || used in f.family.eps || ctx.module!.configFields.has(used)) continue;
        ctx.report({ messageId: "otherKey", at: use.eps.range, data: { callee, used: use.eps.key, key, family: factsLabel(f) } });
      }
    }
  },
});

function calleeName(use: NormUse): string {
  return use.callee.replace(/^torch\.nn\.functional\./, "F.").replace(/^torch\./, "");
}
