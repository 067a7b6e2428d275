import { defineRule, type FolderRuleContext } from "../../rule";

/**
 * ## What it does
 * Reads the checkpoint's main norm weights (ranged reads, capped) and checks their statistics against
 * the family's convention: HF checkpoints of offset families (Gemma 1-3, Qwen3-Next, Nemotron) store
 * `w` near 0 because the code computes `x * (1 + w)`; plain families store `w` near 1; llama.cpp's
 * converter folds the +1 into GGUF files of offset families, so those sit near 1 too. It reports the
 * evidence (median of means, tensors near 0 and near 1) with a confidence, and stays silent when the
 * evidence is weak.
 *
 * ## Why is this bad?
 * Weights near 1 in an HF Gemma checkpoint mean the +1 was folded in and will be added again (every
 * norm scales by about 2); weights near 0 in a plain family mean offset-encoded weights will scale
 * every activation by about 0. Both load without an error.
 *
 * ## Example
 * A Gemma 2 folder whose `model.layers.*.input_layernorm.weight` have a median mean of 1.02.
 *
 * ## Use instead
 * Subtract 1 from the norm weights (they were exported with the offset folded in), or load them with
 * the matching model type.
 */
export default defineRule<"foldedTwice" | "offsetIntoPlain" | "ggufNotFolded", FolderRuleContext<"foldedTwice" | "offsetIntoPlain" | "ggufNotFolded">>({
  name: "checkpoint-norm-offset-mismatch",
  code: "NL303",
  severity: "error",
  input: "folder",
  tags: ["checkpoint", "norm", "offset"],
  fix: "none",
  summary: "norm weights whose values contradict the family's (1 + w) convention",
  messages: {
    foldedTwice: "{{family}} norms compute x * (1 + w), but the {{count}} norm weights in {{file}} sit near 1 (median of means {{median}}, {{near1}} near 1): the +1 looks folded in and would be added twice (confidence {{confidence}}). Evidence: {{evidence}}.",
    offsetIntoPlain: "{{family}} norms compute x * w, but the {{count}} norm weights in {{file}} sit near 0 (median of means {{median}}, {{near0}} near 0): offset-encoded (Gemma-style) weights would scale every activation by about 0 (confidence {{confidence}}). Evidence: {{evidence}}.",
    ggufNotFolded: "llama.cpp folds {{family}}'s +1 into GGUF norm weights, but the {{count}} norm weights in {{file}} sit near 0 (median of means {{median}}): the converter did not fold them and llama.cpp's plain x * w norm will scale by about 0 (confidence {{confidence}}). Evidence: {{evidence}}.",
  },
  check(ctx) {
    const { family: fam, offset, normTensors, fromGguf, anchor } = ctx.folder;
    if (!fam || !offset || offset.encoding === "unknown") return;
    // Stored convention: HF offset families store w (near 0); GGUF of folding families stores 1 + w.
    const storesOffset = fam.offset && !(fromGguf && fam.gguf?.foldsOffset);
    const stored = offset.encoding === "offset";
    if (stored === storesOffset) return;
    const file = normTensors[0].file;
    const evidence = offset.evidence.slice(0, 4).map((e) => `${e.name} mean ${e.mean.toFixed(3)}`).join("; ");
    const data = {
      family: fam.modelType,
      count: normTensors.length,
      file,
      median: offset.medianOfMeans.toFixed(3),
      near0: `${offset.nearZero}/${normTensors.length}`,
      near1: `${offset.nearOne}/${normTensors.length}`,
      confidence: offset.confidence.toFixed(2),
      evidence,
    };
    const messageId = stored ? (fromGguf && fam.offset ? "ggufNotFolded" : "offsetIntoPlain") : "foldedTwice";
    ctx.report({ messageId, file: anchor.file, at: anchor.range, data, related: [{ file, message: "norm weights read here" }] });
  },
});
