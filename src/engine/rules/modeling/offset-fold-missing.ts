import { defineRule, type PythonRuleContext } from "../../rule";
import { factSource, servedLabel } from "./declared-shared";

type M = "gguf";

/**
 * ## What it does
 * Flags a load path for a family whose norms scale by `1 + weight` that reads GGUF weights (where
 * llama.cpp stored the folded `1 + weight`, the knowledge base's `gguf.foldsOffset`) and never takes
 * the 1 off before its runtime adds it again. A converter to GGUF that never adds the 1 is
 * `converter-offset-contradicts-family` (NL211).
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
    gguf: "`{{fn}}` loads GGUF weights for {{family}}, whose GGUF stores `1 + weight` ({{src}}), but never subtracts the 1: the runtime's `1 + weight` then scales every norm by about 2.",
  },
  check(ctx) {
    for (const m of ctx.module?.declared?.missingUnfolds ?? []) {
      const f = m.serves.families[0];
      ctx.report({ messageId: "gguf", at: m.range, data: { fn: m.fn, family: servedLabel(f, m.serves), src: factSource(f, "gguf") } });
    }
  },
});
