import type { OffsetConversion } from "../../analysis/declared-types";
import { defineRule, type PythonRuleContext } from "../../rule";
import { lineAt } from "../../util/text";
import { servedLabel } from "./declared-shared";

type M = "reload" | "inPlace" | "twice" | "mtp" | "export" | "constant";

/**
 * Functions that run on every load and on the output of a conversion too: MLX's `sanitize()` (mlx-lm
 * and mlx-vlm save the sanitized weights and pass them through `sanitize()` again when loading). An
 * engine's `load_weights` that only ever reads Hugging Face checkpoints shifts each tensor once.
 */
const LOAD_PATH = /^sanitize$/;

/** Does the conversion act on norm tensors of an offset family it serves (or on named norm tensors)? */
function offsetFamily(c: OffsetConversion): string | undefined {
  const f = c.serves?.families.find((x) => x.offset || (x.classes ?? []).some((k) => k.offset));
  return f ? servedLabel(f, c.serves) : undefined;
}

/**
 * ## What it does
 * Flags a +1/-1 on norm weights that is not safe to run twice: in a load path (`sanitize()`, a load
 * hook) with no check that the weights are still in the source layout, or applied in place
 * (`v += 1`, `v.add_(1)`) on a torch tensor the caller still holds, or a shift of 2 on an offset
 * family's norm weights (`v + 2.0`: the second application written out). A guard that only tests for
 * multi-token-prediction keys is no layout test (converted checkpoints can keep them), nor is a call to
 * a helper of the same file whose every return is `True` (flagged at that return). NL211 covers a shift that is
 * wrong for the family; this rule covers a shift that is right for the family but wrong because it
 * repeats. A norm class whose load path shifts its weight by a constant (exllamav2's
 * `self.weight += self.archparams.norm_constant_bias`) and whose export path (`get_weight()`)
 * hands the weight back still shifted is flagged too (a warning): the next load shifts it again.
 *
 * ## Why is this bad?
 * mlx-lm and mlx-vlm run `sanitize()` on every load, also on the MLX weights that a conversion saved
 * already shifted: the offset is applied again and every norm scales by about 2 (mlx-lm #1623,
 * mlx-vlm #1528, 8 of 11 published conversions in mlx-vlm #2114). An in-place shift on the caller's
 * tensors accumulates each time the conversion runs, as in Megatron-Bridge #1929 (corruption growing
 * over reinforcement-learning weight syncs).
 *
 * ## Example
 * `def sanitize(self, weights): ... if k.endswith("norm.weight"): weights[k] = v + 1.0` with nothing
 * that tells Hugging Face input from converted MLX input.
 *
 * ## Use instead
 * Shift only when the input is in the source layout (`if "model.layers.0.linear_attn.conv1d.weight"
 * in weights and weights[...].shape[-1] != 1:`, or a marker the conversion writes), and on new tensors
 * (`weights[k] = v + 1`), never in place.
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "offset-transform-unguarded",
  code: "NL215",
  severity: "warning",
  input: "python",
  tags: ["modeling", "declared", "offset", "conversion"],
  fix: "none",
  summary: "a +1/-1 on norm weights that shifts again when the load or conversion runs twice",
  messages: {
    reload: "`{{fn}}` {{op}} 1 on norm weights for {{family}} on every load, with no check that the weights are still in the source layout: weights it already shifted (a saved conversion) are shifted again.",
    mtp: "`{{fn}}` {{op}} 1 on norm weights for {{family}} ({{file}}:{{line}}) only when the weights hold multi-token-prediction keys: converted checkpoints can keep those keys, so weights it already shifted are shifted again. Test the raw layout itself (a conv1d weight's shape).",
    constant: "`{{fn}}` {{op}} 1 on norm weights for {{family}} ({{file}}:{{line}}) when `{{helper}}` allows it, and `{{helper}}` returns True whatever it is given: weights it already shifted are shifted again. Make it test the raw layout (a conv1d weight's shape).",
    twice: "`{{fn}}` adds 2 to norm weights for {{family}}, whose norms scale by `1 + weight`: the unit offset is applied twice, so every norm scales by `2 + weight`.",
    export: "`{{cls}}.{{method}}` hands back the weight `{{load}}()` shifted by `{{by}}` ({{line}}) without taking the shift off: saved or re-quantized weights keep it, and the next `{{load}}()` shifts them again. Return `self.weight.data - {{by}}`.",
    inPlace: "This {{op_noun}} of 1 changes the caller's tensor in place: each time the conversion runs (a retry, a weight sync) the norm weights move by 1 again. Make a new tensor (`v = v {{sign}} 1`).",
  },
  check(ctx) {
    const declared = ctx.module?.declared;
    if (!declared) return;
    for (const d of declared.loadShifts ?? []) {
      if (d.kind !== "export") continue;
      const line = `line ${lineAt(ctx.text, d.otherRange.start)}`;
      ctx.report({ messageId: "export", at: d.range, severity: "warning", data: { cls: d.cls, method: d.method, load: d.load, by: d.by, line } });
    }
    for (const c of declared.overShifts ?? []) {
      const family = offsetFamily(c);
      if (family) ctx.report({ messageId: "twice", at: c.range, severity: "error", data: { fn: c.fn ?? c.unit, family } });
    }
    const seen = new Set<number>();
    for (const c of declared.conversions) {
      if (c.gguf || seen.has(c.range.start)) continue;
      const family = offsetFamily(c);
      // A temporary shift undone in the same function (`w += 1; w.div_(s); w -= 1`: AutoAWQ folding into 1 + w) is not a repeat.
      const undone = declared.conversions.some((d) => d !== c && d.fn === c.fn && d.delta === -c.delta && d.inPlace && (d.names ?? []).join() === (c.names ?? []).join());
      if (c.inPlace && !undone) {
        seen.add(c.range.start);
        ctx.report({ messageId: "inPlace", at: c.range, data: { op_noun: c.delta > 0 ? "addition" : "subtraction", sign: c.delta > 0 ? "+" : "-" } });
        continue;
      }
      if (family && c.fn && LOAD_PATH.test(c.fn) && !c.layoutGuard && !c.inPlace) {
        seen.add(c.range.start);
        const op = c.delta > 0 ? "adds" : "subtracts";
        // A guard that is no layout test is reported at the guard, naming the shift's line.
        const shift = { fn: c.fn, op, family, file: ctx.file.split(/[\\/]/).pop() ?? ctx.file, line: lineAt(ctx.text, c.range.start) };
        if (c.constantGuard) ctx.report({ messageId: "constant", at: c.constantGuard.range, severity: "error", data: { ...shift, helper: c.constantGuard.helper } });
        else if (c.mtpGuard) ctx.report({ messageId: "mtp", at: c.mtpGuard, severity: "error", data: shift });
        else ctx.report({ messageId: "reload", at: c.range, severity: "error", data: { fn: c.fn, op, family } });
      }
    }
  },
});
