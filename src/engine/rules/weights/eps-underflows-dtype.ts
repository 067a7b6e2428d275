import type { EpsSource, NormImpl, Range } from "../../analysis/types";
import type { ModelFolder } from "../../folder-model";
import { epsClass } from "../../numerics/eps";
import { property } from "../../parsers/json";
import { defineRule, type FolderRuleContext, rangeOf } from "../../rule";
import { formatNumber } from "../../util/text";
import { configDtype } from "./shared";

type M = "config" | "code";

/**
 * ## What it does
 * Flags a norm eps that is zero or subnormal in the dtype its statistics are computed in: where the
 * folder's config.json declares the model's dtype (`torch_dtype` or `dtype`) and the norm computes
 * in that dtype with no fp32 upcast. Two places: the config's eps for a family whose norm class,
 * per the knowledge base, computes in the input dtype (a class that upcasts, or torch's
 * `nn.LayerNorm`/`F.rms_norm`, which accumulate in fp32, is covered); and a norm class in the
 * folder's code whose `forward` computes the statistics in the input dtype, built with such an eps.
 * float16's smallest normal number is 6.1e-5 and its smallest subnormal 6e-8: 1e-12 rounds to
 * zero (a warning), 1e-6 is subnormal (a note: it keeps an all-zero row finite but with reduced
 * precision, and hardware that flushes subnormals to zero drops it). bfloat16 has fp32's range,
 * so only an absurd eps underflows there. Norms whose upcast normlint cannot see stay silent.
 *
 * ## Why is this bad?
 * `ms + eps` computed in float16 with eps rounded to zero is 0 on an all-zero row (padding, a
 * masked position): `rsqrt(0)` is infinity and the row becomes NaN, which then spreads through
 * attention. BERT-style configs carry 1e-12, harmless in fp32 and zero in fp16.
 *
 * ## Example
 * `"torch_dtype": "float16"` with `"layer_norm_epsilon": 1e-12` for a model whose norm computes
 * `x / torch.sqrt(x.pow(2).mean(-1) + self.eps)` in the input dtype.
 *
 * ## Use instead
 * Compute the statistics in fp32 (`x.float()`, then cast back), or use an eps float16 represents
 * (at least 6.1e-5 to stay normal).
 */
export default defineRule<M, FolderRuleContext<M>>({
  name: "eps-underflows-dtype",
  code: "NL218",
  severity: "warning",
  input: "folder",
  tags: ["eps", "numerics"],
  fix: "none",
  summary: "eps that is zero or subnormal in the dtype a norm without fp32 upcast computes in",
  messages: {
    config: "`{{key}}` = {{value}} is {{what}} in {{format}} ({{dtypeKey}}), and {{cls}} computes its statistics in the input dtype without an fp32 upcast{{consequence}}.",
    code: "eps {{value}} is {{what}} in {{format}} ({{dtypeKey}} in {{configPath}}), and `{{cls}}` computes its statistics in the input dtype without an fp32 upcast{{consequence}}.",
  },
  check(ctx) {
    const { folder } = ctx;
    const dtype = configDtype(folder);
    if (!dtype || !folder.configPath) return;
    const describe = (value: number) => {
      const cls = epsClass(value, dtype.format);
      if (cls === "normal") return undefined;
      return {
        severity: cls === "zero" ? undefined : ("info" as const),
        data: {
          value: formatNumber(value),
          what: cls === "zero" ? "zero" : "subnormal",
          format: dtype.format,
          dtypeKey: `\`${dtype.key}\``,
          consequence: cls === "zero" ? ": an all-zero row divides by zero and turns to NaN" : ": it keeps reduced precision, and is flushed to zero where subnormals are",
        },
      };
    };
    const related = [{ file: folder.configPath, at: rangeOf(dtype.node), message: `\`${dtype.key}\` declares ${dtype.format}` }];

    // The config's eps, for the family's norm classes that compute in the input dtype.
    const fam = folder.family;
    const seenKeys = new Set<string>();
    for (const cls of fam?.classes ?? []) {
      if (cls.cast !== "none" || (cls.kind !== "rms" && cls.kind !== "layer")) continue;
      for (const key of cls.eps) {
        if (!fam || !(key in fam.eps) || seenKeys.has(key)) continue;
        seenKeys.add(key);
        const set = Object.hasOwn(folder.textConfig, key);
        const v = set ? folder.textConfig[key] : fam.eps[key];
        if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) continue;
        const d = describe(v);
        if (!d) continue;
        const prop = set ? property(folder.textScope?.node, key) : undefined;
        ctx.report({
          messageId: "config",
          file: folder.configPath,
          at: prop ? rangeOf(prop.valueNode) : rangeOf(dtype.node),
          severity: d.severity,
          data: { ...d.data, key, cls: `${fam.modelType}'s \`${cls.name}\`` },
          related,
        });
      }
    }

    // Norm classes in the folder's code that compute in the input dtype, and the eps they get.
    for (const c of folder.code) {
      const seen = new Set<number>();
      for (const impl of c.module.norms) {
        const compute = impl.compute;
        if (!compute || compute.via !== "explicit" || compute.statsDtype !== "input" || compute.upcast) continue;
        for (const { value, at } of epsValues(impl, c.module.uses, folder)) {
          if (seen.has(at.start)) continue;
          const d = describe(value);
          if (!d) continue;
          seen.add(at.start);
          ctx.report({ messageId: "code", file: c.path, at, severity: d.severity, data: { ...d.data, cls: impl.name, configPath: folder.configPath }, related });
        }
      }
    }
  },
});

/** The eps values a local norm class computes with, and where each is written. */
function epsValues(impl: NormImpl, uses: ModelFolder["code"][number]["module"]["uses"], folder: ModelFolder): Array<{ value: number; at: Range }> {
  const out: Array<{ value: number; at: Range }> = [];
  const add = (eps: EpsSource | undefined, at: Range | undefined) => {
    if (!eps || !at) return;
    if (eps.kind === "literal" && eps.value !== undefined) out.push({ value: eps.value, at });
    else if (eps.kind === "config" && eps.key) {
      const v = folder.textConfig[eps.key];
      if (typeof v === "number" && Number.isFinite(v) && v > 0) out.push({ value: v, at });
    }
  };
  // A literal in forward or __init__ is the eps whatever the caller passes.
  add(impl.compute?.eps?.kind === "literal" ? impl.compute.eps : undefined, impl.compute?.eps?.range);
  add(impl.epsInInit?.kind === "literal" ? impl.epsInInit : undefined, impl.epsInInit?.range);
  if (out.length) return out;
  for (const use of uses) {
    if (use.origin !== "local" || use.callee !== impl.name || use.insideNorm) continue;
    if (use.eps.kind === "default") {
      const d = use.eps.value !== undefined ? use.eps : impl.epsParam?.default;
      if (d?.value !== undefined && (d === use.eps || d.kind === "literal")) out.push({ value: d.value, at: use.calleeRange });
    } else add(use.eps, use.eps.range);
  }
  return out;
}
