import { defineRule, type PythonRuleContext } from "../../rule";
import { checkedNorms, factsLabel } from "./shared";

type M = "impl" | "use" | "built";

const NAMES = { rms: "an RMSNorm", layer: "a LayerNorm" } as const;

/**
 * ## What it does
 * Flags a centering LayerNorm (it subtracts the mean) where the family uses an RMSNorm, and an
 * RMSNorm where the family uses a LayerNorm: a norm class whose forward computes the other kind,
 * or an `nn.LayerNorm`/`nn.RMSNorm` built where the knowledge base records the other kind.
 *
 * ## Why is this bad?
 * The two differ in the mean subtraction (and usually a bias). Weights trained for one give
 * shifted activations through the other; the checkpoint may even load (the weight shapes match)
 * and the model quietly degrades.
 *
 * ## Example
 * `self.input_layernorm = nn.LayerNorm(config.hidden_size)` in a Llama port.
 *
 * ## Use instead
 * `self.input_layernorm = LlamaRMSNorm(config.hidden_size, eps=config.rms_norm_eps)`
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "norm-kind-mismatch",
  code: "NL204",
  severity: "error",
  input: "python",
  tags: ["modeling", "kind"],
  fix: "none",
  summary: "LayerNorm where the family uses RMSNorm, or the reverse",
  messages: {
    impl: "`{{cls}}` computes {{actual}} ({{evidence}}), but {{family}} uses {{expected}} here.",
    use: "`{{callee}}` is {{actual}}, but {{family}} uses {{expected}}{{where}}.",
    built: "`{{cls}}` ({{where}}) computes {{actual}}, but {{family}} uses {{expected}} here{{more}}.",
  },
  check(ctx) {
    const m = ctx.module;
    if (!m) return;
    for (const impl of checkedNorms(ctx)) {
      const c = impl.compute;
      const f = impl.facts;
      if (!c || (c.kind !== "rms" && c.kind !== "layer") || f.kind === "other" || c.kind === f.kind) continue;
      // One of a registry's norms of several kinds: the config picks it, unless the class names its family itself.
      if (impl.registry && f.via !== "class-name" && f.via !== "class-prefix") continue;
      const evidence = c.kind === "layer" ? (c.centering ? "it subtracts the mean" : c.via === "parent" ? "it subclasses a LayerNorm" : "it calls a layer norm") : "it normalizes by the root mean square without centering";
      ctx.report({
        messageId: "impl",
        at: c.kind === "layer" ? (c.centering ?? c.stats) : c.stats,
        data: { cls: impl.name, actual: NAMES[c.kind], expected: NAMES[f.kind], evidence, family: factsLabel(f) },
      });
    }
    for (const use of m.uses) {
      const f = use.facts;
      if (use.origin !== "torch" || use.insideNorm || !f || f.kind === "other" || use.kind === "other" || use.kind === f.kind) continue;
      ctx.report({
        messageId: "use",
        at: use.calleeRange,
        data: { callee: use.callee.replace(/^torch\.nn\.functional\./, "F.").replace(/^torch\./, ""), actual: NAMES[use.kind], expected: NAMES[f.kind], family: factsLabel(f), where: use.slot ? ` for \`${use.slot}\`` : "" },
      });
    }
  },
});
