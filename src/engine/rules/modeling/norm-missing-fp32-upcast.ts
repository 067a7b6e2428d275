import { defineRule, type PythonRuleContext } from "../../rule";
import { fix, slice } from "./shared";

type M = "missing";

/** Families whose reference norm computes its statistics in fp32. */
const UPCASTING = new Set(["llama", "gemma", "fp32", "t5"]);

/**
 * ## What it does
 * Flags an RMSNorm that computes its mean square in the input dtype, with no `.float()` or
 * `.to(torch.float32)` before `pow(2).mean(...)`, when the family's reference computes it in fp32
 * (or when no family is known).
 *
 * ## Why is this bad?
 * In bf16 the sum of squares keeps 8 bits of mantissa, and in fp16 it overflows past 65504: the
 * statistics, and so every normalized activation, come out wrong for large hidden sizes or large
 * activations. Reference implementations upcast for exactly this reason.
 *
 * ## Example
 * `variance = x.pow(2).mean(-1, keepdim=True)` on bf16 activations.
 *
 * ## Use instead
 * `variance = x.float().pow(2).mean(-1, keepdim=True)`
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "norm-missing-fp32-upcast",
  code: "NL207",
  severity: "warning",
  input: "python",
  tags: ["modeling", "precision"],
  fix: "unsafe",
  summary: "RMSNorm statistics computed in the input dtype",
  messages: {
    missing: "`{{cls}}` computes its mean square in the input dtype; bf16/fp16 statistics lose precision or overflow. Upcast with `.float()` first.",
  },
  check(ctx) {
    for (const impl of ctx.module?.norms ?? []) {
      const c = impl.compute;
      if (!c || c.kind !== "rms" || c.via !== "explicit" || c.statsDtype !== "input") continue;
      if (impl.facts && !UPCASTING.has(impl.facts.cast)) continue;
      const edits = [];
      if (c.statsBase) {
        const base = slice(ctx.text, c.statsBase);
        const simple = /^[\w.]+$/.test(base);
        edits.push(simple ? { start: c.statsBase.end, end: c.statsBase.end, text: ".float()" } : { start: c.statsBase.start, end: c.statsBase.end, text: `(${base}).float()` });
        if (c.rsqrt && c.rsqrt.start > c.statsBase.end && simple) edits.push({ start: c.rsqrt.end, end: c.rsqrt.end, text: `.to(${base}.dtype)` });
      }
      // With no family to hold it to, a low-precision norm may be deliberate (and ported
      // faithfully): a note, not a warning.
      ctx.report({ messageId: "missing", at: c.stats, data: { cls: impl.name }, fixes: edits.length ? [fix("Compute the statistics in fp32", edits)] : [], ...(impl.facts ? {} : { severity: "info" as const }) });
    }
  },
});
