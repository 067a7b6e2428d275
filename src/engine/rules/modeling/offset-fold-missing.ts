import type { ModuleAnalysis } from "../../analysis/types";
import { defineRule, type PythonRuleContext } from "../../rule";
import { family } from "../../knowledge/index";
import { lineAt, LineIndex } from "../../util/text";
import { factSource, servedLabel } from "./declared-shared";

type M = "gguf" | "sanitize" | "unloaded" | "chain" | "plainCopy";

const DECODER_SLOTS = new Set(["input_layernorm", "post_attention_layernorm", "norm"]);

/**
 * An MLX port whose runtime norm is a plain `nn.RMSNorm` (`x * w`) for a family stored as offsets
 * from 1 and whose `sanitize()` (run on every load, mlx_lm/utils.py `load_model`) adds 1 to no
 * weight: the shift mlx-lm's qwen3_5.py and qwen3_next.py make (mlx-lm d78bf58) is missing. Returns
 * the `sanitize` name and the first plain norm slot. A `sanitize` that defers to a parent class's
 * (`super().sanitize(`) may shift elsewhere: no verdict.
 */
function mlxSanitizeWithoutShift(m: ModuleAnalysis, text: string): { at: { start: number; end: number }; sanitize: number; slot: { start: number; end: number; name: string; callee: string } } | undefined {
  if (![...m.imports.values()].some((v) => v === "mlx" || v.startsWith("mlx."))) return undefined;
  if (!m.fileFamily?.family.offset || !m.declared) return undefined;
  if (m.declared.conversions.some((c) => c.delta > 0) || m.declared.overShifts?.length) return undefined;
  if (/super\(\)\.sanitize\(/.test(text)) return undefined;
  const def = /^[ \t]+def (sanitize)\(/m.exec(text);
  if (!def) return undefined;
  // The decoder norms of the family's main norm class (offset); gated and vision norms keep `x * w`.
  const plain = m.uses.find((u) => !u.functional && u.affine && !u.insideNorm && u.callee === "mlx.nn.RMSNorm" && DECODER_SLOTS.has(u.slot ?? ""));
  if (!plain) return undefined;
  const start = def.index + def[0].indexOf("sanitize");
  // Where the norm weights are picked out in sanitize (`if any(k.endswith(sfx) for sfx in norm_keys):`),
  // the place the shift belongs; else the method's name.
  const indent = /^[ \t]+/.exec(def[0])![0];
  const rest = text.slice(def.index + def[0].length);
  const end = rest.search(new RegExp(`\\n${indent}(def |@)|\\n\\S`));
  const body = end < 0 ? rest : rest.slice(0, end);
  const pick = /^([ \t]+)(if|elif) ([^\n]*norm[^\n#]*):[ \t]*(#[^\n]*)?$/m.exec(body);
  const at = pick ? { start: def.index + def[0].length + pick.index + pick[1].length, end: def.index + def[0].length + pick.index + pick[0].length } : { start, end: start + "sanitize".length };
  return { at, sanitize: start, slot: { ...plain.calleeRange, name: plain.slot!, callee: plain.callee } };
}

/**
 * ## What it does
 * Flags a load path for a family whose norms scale by `1 + weight` that reads GGUF weights (where
 * llama.cpp stored the folded `1 + weight`, the knowledge base's `gguf.foldsOffset`) and never takes
 * the 1 off before its runtime adds it again. A converter to GGUF that never adds the 1 is
 * `converter-offset-contradicts-family` (NL211).
 *
 * It also flags an MLX port of such a family whose runtime norm is a plain `nn.RMSNorm` (`x * w`) and
 * whose `sanitize()`, the function every load runs, never adds the 1; and a norm class whose export
 * path takes a constant off its weight (`get_weight()` returning `self.weight.data - bias`) while
 * its load path never adds it (a warning, at the end of the load path).
 *
 * A conversion that adds 1 to some decoder norms of an offset family and copies another decoder
 * norm of the same convention as it is (TransformerLens's Gemma state-dict conversion without the
 * `+ torch.ones_like(...)` of `ln1.w`): the shifts say the target computes `x * w`.
 *
 * Across files: a model class's `load_weights` (lmdeploy's `models/gemma.py`) that picks out the
 * norm weights of an offset family and adds nothing to them, while the runtime norm its model
 * builds, defined in another module, computes `x * w` itself or through the reference
 * implementation of the op it hands the weight to (`nn/norm.py`'s `RMSNorm` ->
 * `backends/default/norm.py`'s `DefaultRMSNormImpl`). The message gives the chain.
 *
 * ## Why is this bad?
 * The runtime computes `x * (1 + w)` on weights that already hold `1 + w`: every norm scales by
 * about 2 and the model produces gibberish (vLLM #26189 for Gemma 3 GGUF, #31464 for Gemma 2). The
 * raw Hugging Face path of the same loader works, so tests on safetensors checkpoints pass.
 *
 * ## Example
 * A Gemma `load_weights` that branches on `quant_config.get_name() == "gguf"` to remap tensor names
 * and copies norm weights as they are.
 *
 * ## Use instead
 * Subtract 1 from the norm weights read from GGUF (`loaded_weight = loaded_weight - 1` for
 * `*norm.weight`), only on that path.
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "offset-fold-missing",
  code: "NL216",
  severity: "error",
  input: "python",
  tags: ["modeling", "declared", "offset", "conversion"],
  fix: "none",
  summary: "a load path reads GGUF weights of an offset family and never takes off the folded 1",
  messages: {
    sanitize: "`sanitize` ({{file}}:{{line}}) adds 1 to no norm weight (its norm branch, {{file}}:{{pick_line}}, leaves them as they are), and the runtime norm `{{slot}}` is a plain `{{callee}}` ({{file}}:{{slot_line}}), which computes `x * weight`: {{family}} checkpoints store the norm scale as an offset from 1, so every such norm scales by about 0.",
    unloaded: "`{{cls}}.{{load}}()` ends without shifting the weight, but `{{method}}()` takes `{{by}}` off it (line {{line}}): the runtime then scales by the checkpoint's weight without the constant it expects, and exported weights lose it once more. Add `self.weight += {{by}}` here.",
    plainCopy: "`{{fn}}` copies `{{slot}}.weight` as it is, but adds 1 to `{{shifted}}.weight` (line {{line}}), so its target scales by the plain weight: {{family}} stores both norms as offsets from 1 ({{src}}), and this one then scales by about 0. Add 1 here as well.",
    chain: "`{{loader}}` ({{at}}) picks out the norm weights (line {{pick_line}}) and adds nothing to them, and the runtime norm `{{cls}}` ({{where}}) {{runtime}}: {{family}} checkpoints store the norm scale as an offset from 1, so every such norm scales by about 0. Add 1 to the norm weights here.",
    gguf: "`{{fn}}` loads GGUF weights for {{family}}, whose GGUF stores `1 + weight` ({{src}}), but never subtracts the 1: the runtime's `1 + weight` then scales every norm by about 2.",
  },
  check(ctx) {
    for (const m of ctx.module?.declared?.missingUnfolds ?? []) {
      const f = m.serves.families[0];
      ctx.report({ messageId: "gguf", at: m.range, data: { fn: m.fn, family: servedLabel(f, m.serves), src: factSource(f, "gguf") } });
    }
    for (const d of ctx.module?.declared?.loadShifts ?? []) {
      if (d.kind !== "unloaded") continue;
      const line = String(lineAt(ctx.text, d.otherRange.start));
      ctx.report({ messageId: "unloaded", at: d.range, severity: "warning", data: { cls: d.cls, load: d.load, method: d.method, by: d.by, line } });
    }
    for (const c of ctx.module?.plainCopies ?? []) {
      const f = family(c.modelType);
      const line = String(lineAt(ctx.text, c.shiftedAt.start));
      ctx.report({ messageId: "plainCopy", at: c.range, data: { fn: c.fn, slot: c.slot, shifted: c.shifted, line, family: c.modelType, src: f ? factSource(f) : "the knowledge base" } });
    }
    const mod = ctx.module;
    const found = mod ? mlxSanitizeWithoutShift(mod, ctx.text) : undefined;
    if (mod && found) {
      const lines = new LineIndex(ctx.text);
      const file = ctx.file.split(/[\\/]/).pop() ?? ctx.file;
      // MLX checkpoints converted elsewhere may already hold 1 + w (the layout question of issue 17): a warning, not an error.
      ctx.report({
        messageId: "sanitize",
        at: found.at,
        severity: "warning",
        data: { file, line: lines.position(found.sanitize).line, pick_line: lines.position(found.at.start).line, slot: found.slot.name, callee: found.slot.callee, slot_line: lines.position(found.slot.start).line, family: `${mod.fileFamily!.family.modelType} (family from ${mod.fileFamily!.via === "file-name" ? "the file name" : mod.fileFamily!.via})` },
      });
    }
  },
});
