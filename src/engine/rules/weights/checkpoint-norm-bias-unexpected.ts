import { MAX_TENSOR_NAME, mainNormClasses, normPathRegex, scaleParam } from "../../folder-model";
import type { NormClass } from "../../knowledge/index";
import { groupOf } from "../../layout";
import { defineRule, type FolderRuleContext } from "../../rule";

/**
 * ## What it does
 * Flags a `.bias` tensor at a norm whose class has no bias in this family (a LayerNorm bias in a
 * Llama or Cohere checkpoint), and a norm weight without the bias its class requires (GPT-2's
 * `ln_1` without `ln_1.bias`).
 *
 * ## Why is this bad?
 * An unexpected bias is dropped at load time, so whatever it encoded (often a LayerNorm model
 * converted to an RMSNorm family) is lost; a missing required bias is initialised to zeros.
 *
 * ## Example
 * `model.layers.0.input_layernorm.bias` in a Llama checkpoint.
 *
 * ## Use instead
 * Convert to a family whose norm has a bias, or fold the bias into the following projection.
 */
export default defineRule<"unexpected" | "missing", FolderRuleContext<"unexpected" | "missing">>({
  name: "checkpoint-norm-bias-unexpected",
  code: "NL307",
  severity: "error",
  input: "folder",
  tags: ["checkpoint", "norm"],
  fix: "none",
  summary: "norm bias in a bias-free family, or a required norm bias missing",
  messages: {
    unexpected: "{{count}} norm bias tensor(s) such as `{{example}}`, but {{cls}} in {{family}} has no bias: they are dropped at load time.",
    missing: "{{count}} norm weight(s) such as `{{example}}` have no bias, but {{cls}} in {{family}} has one: it would be initialised to zeros.",
  },
  check(ctx) {
    const { family: fam, tensorShapes, anchor, fromGguf } = ctx.folder;
    if (!fam || fromGguf || tensorShapes.size === 0) return;
    // Bias facts are read from each class's own code (its parameters, `bias=False` at the
    // construction, `self.norm.bias = None`), so every family's main norms are trusted.
    const names = [...tensorShapes.keys()];
    // A config switch for the norms' bias (ModernBERT's norm_bias) decides over the default.
    const biasKey = Object.keys(fam.normKeys ?? {}).find((k) => /norm.*bias|bias.*norm/.test(k));
    const configBias = biasKey ? ctx.folder.textConfig[biasKey] : undefined;
    const classes = mainNormClasses(fam).map((known) => (typeof configBias === "boolean" && known.kind === "layer" ? { ...known, bias: configBias } : known));
    const rms = rmsSwitch(fam.normKeys, ctx.folder.textConfig);
    const unexpected = new Map<NormClass, string[]>();
    const missing = new Map<NormClass, string[]>();
    const add = (m: Map<NormClass, string[]>, c: NormClass, n: string) => m.set(c, [...(m.get(c) ?? []), n]);
    for (const n of names) {
      const cls = ownerOf(n, classes, rms);
      if (!cls) continue;
      const scale = scaleParam(cls);
      if (!cls.bias && n.endsWith(".bias")) add(unexpected, cls, n);
      if (cls.bias && n.endsWith(`.${scale}`) && !tensorShapes.has(`${n.slice(0, -scale.length)}bias`)) add(missing, cls, n);
    }
    for (const cls of classes) {
      const data = { cls: cls.name, family: fam.modelType };
      const u = unexpected.get(cls);
      const m = missing.get(cls);
      if (u) ctx.report({ messageId: "unexpected", file: anchor.file, at: anchor.range, data: { ...data, count: u.length, example: u[0] } });
      if (m) ctx.report({ messageId: "missing", file: anchor.file, at: anchor.range, data: { ...data, count: m.length, example: m[0] } });
    }
  },
});

/**
 * The config switch between a family's RMSNorm and LayerNorm at the same module (ChatGLM's
 * `rmsnorm`): true picks the RMS class, false the LayerNorm; undefined when the family has none.
 */
function rmsSwitch(normKeys: Record<string, unknown> | undefined, config: Record<string, unknown>): boolean | undefined {
  const key = Object.keys(normKeys ?? {}).find((k) => /^(use_)?rms_?norm$/i.test(k));
  if (!key) return undefined;
  const v = key in config ? config[key] : normKeys![key];
  return typeof v === "boolean" ? v : undefined;
}

/**
 * The main norm class a tensor (`<module>.<scale>` or `<module>.bias`) belongs to: the class whose
 * recorded module path matches most of the name's trailing module segments (LayoutLM's per-layer
 * `attention.output.LayerNorm` is not its embeddings' `embeddings.LayerNorm`). Classes tied at the
 * same module are alternatives a config switch chooses between (ChatGLM's RMSNorm or LayerNorm);
 * without that switch the names cannot tell which one builds it. Norms of a vision tower belong to
 * the tower's own classes, not to the text model's.
 */
function ownerOf(name: string, classes: NormClass[], rms: boolean | undefined): NormClass | undefined {
  if (name.length > MAX_TENSOR_NAME) return undefined;
  const dot = name.lastIndexOf(".");
  const param = name.slice(dot + 1);
  const module = name.slice(0, dot).split(".");
  if (groupOf(`${name.slice(0, dot)}.weight`) === "vision") return undefined;
  let best: NormClass[] = [];
  let bestScore = 0;
  for (const cls of classes) {
    if (param !== "bias" && param !== scaleParam(cls)) continue;
    for (const at of cls.at) {
      if (!normPathRegex(at, param).test(name)) continue;
      const path = at.split(".");
      let score = 0;
      while (score < path.length && score < module.length) {
        const want = path[path.length - 1 - score];
        const have = module[module.length - 1 - score];
        if (want === have || (want === "{N}" && /^\d+$/.test(have))) score++;
        else break;
      }
      if (score > bestScore) [best, bestScore] = [[cls], score];
      else if (score === bestScore && !best.includes(cls)) best.push(cls);
    }
  }
  if (best.length > 1 && rms !== undefined) best = best.filter((c) => (c.kind === "rms") === rms);
  if (best.length === 0 || best.some((c) => c.bias !== best[0].bias)) return undefined;
  return best[0];
}
