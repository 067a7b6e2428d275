import { defineRule, type PythonRuleContext } from "../../rule";
import { factSource, quoted, servedFacts, servedLabel } from "./declared-shared";
import { fix, replace } from "./shared";

type M = "flag" | "patch";

const WORDS = { rms: "RMSNorm (no mean subtraction)", layer: "LayerNorm (mean subtracted)" } as const;

/** The literal that declares a kind, in the vocabulary of the key it replaces. */
const SPELLING: Record<string, Record<"rms" | "layer", string>> = {
  normalization_type: { rms: "RMS", layer: "LN" },
  norm_class_name: { rms: "RMSNorm", layer: "LayerNorm" },
};

/**
 * ## What it does
 * Flags a declared norm kind that contradicts the family it serves: TransformerLens's
 * `cfg.normalization_type = "LN"` or `cfg.uses_rms_norm = True`, litgpt's
 * `norm_class_name="RMSNorm"`, or a monkey-patch binding a LayerNorm kernel to an RMSNorm class
 * (and the reverse).
 *
 * ## Why is this bad?
 * RMSNorm and LayerNorm differ by the mean subtraction (and LayerNorm's bias): declaring the wrong
 * one makes the library recompute every norm differently from the checkpoint's model, so hooks,
 * folded weights and generations are all off.
 *
 * ## Example
 * `self.cfg.normalization_type = "LN"` in an adapter for Llama.
 *
 * ## Use instead
 * `self.cfg.normalization_type = "RMS"`.
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "declared-norm-kind-contradicts-family",
  code: "NL212",
  severity: "error",
  input: "python",
  tags: ["modeling", "declared", "kind"],
  fix: "unsafe",
  summary: "a declared RMSNorm/LayerNorm kind contradicts the family it serves",
  messages: {
    flag: "`{{key}} = {{raw}}` declares {{declared}} for {{family}}, but the knowledge base records {{fact}} ({{src}}).",
    patch: "This patch binds `{{impl}}`, a {{declared}}, to `{{target}}`; {{family}} records {{fact}} ({{src}}).",
  },
  check(ctx) {
    for (const d of ctx.module?.declared?.declarations ?? []) {
      if (d.aspect !== "kind" || (d.inPatch && d.form !== "patch")) continue;
      const wrong = servedFacts(d).filter((e) => e.kind !== undefined && e.kind !== d.value);
      if (!wrong.length) continue;
      const e = wrong[0];
      const data = {
        key: d.key,
        raw: d.raw,
        impl: d.callee ?? "",
        target: d.patchTarget ?? "",
        declared: WORDS[d.value as "rms" | "layer"],
        family: wrong.map((x) => servedLabel(x.family, d.serves)).join(", "),
        fact: `${e.cls && /^[A-Z]/.test(e.cls.name) ? `\`${e.cls.name}\`, ` : ""}${WORDS[e.kind!]}`,
        src: factSource(e.family),
      };
      if (d.form === "patch") {
        ctx.report({ messageId: "patch", at: d.range, data });
        continue;
      }
      const spelled = SPELLING[d.key]?.[e.kind!];
      const want = spelled ? quoted(d.raw, spelled) : d.key === "uses_rms_norm" ? (e.kind === "rms" ? "True" : "False") : undefined;
      ctx.report({ messageId: "flag", at: d.range, data, fixes: want ? [fix(`Use \`${want}\``, [replace(d.range, want)])] : [] });
    }
  },
});
