import type { ModelFolder } from "../../folder-model";
import { expectedCentre, type LayoutFormat } from "../../knowledge/layouts";
import { defineRule, type FolderRuleContext } from "../../rule";

type Ids = "foldedTwice" | "offsetIntoPlain" | "notShifted" | "doubleShift";

/**
 * ## What it does
 * Reads the checkpoint's main norm weights (ranged reads, capped), detects the storage layout
 * (Hugging Face safetensors, GGUF, MLX, Megatron) and checks where the weights sit against the
 * centre that layout keeps for the family: HF checkpoints of offset families (Gemma 1-3,
 * Qwen3-Next, Nemotron) store `w` near 0 because the code computes `x * (1 + w)`; plain families
 * store `w` near 1; llama.cpp's converter and mlx-lm's `sanitize()` add 1 for some families, so
 * their files sit near 1; weights near 2 mean the +1 was applied twice before storage. It reports
 * the layout and how it was recognised, the evidence (median of means, tensors near 0 and near 1)
 * and the fact that decided the expected centre, and stays silent when the evidence is weak.
 *
 * ## Why is this bad?
 * Weights near 1 in an HF Gemma checkpoint mean the +1 was folded in and will be added again (every
 * norm scales by about 2); weights near 0 in a plain family, or in a GGUF or MLX file whose runtime
 * computes `x * w`, scale every activation by about 0. Both load without an error.
 *
 * ## Example
 * A Gemma 2 folder whose `model.layers.*.input_layernorm.weight` have a median mean of 1.02; a
 * Qwen3-Next MLX conversion whose norms sit near 2.1 (sanitize() ran on already-converted weights).
 *
 * ## Use instead
 * Subtract 1 from the norm weights (they were exported with the offset folded in), add the 1 the
 * converter left out, or load them with the matching model type.
 */
export default defineRule<Ids, FolderRuleContext<Ids>>({
  name: "checkpoint-norm-offset-mismatch",
  code: "NL303",
  severity: "error",
  input: "folder",
  tags: ["checkpoint", "norm", "offset"],
  fix: "none",
  summary: "norm weights whose values contradict the family's (1 + w) convention in their storage layout",
  messages: {
    foldedTwice: "{{family}} norms in this layout are stored as w and computed as x * (1 + w), but the {{count}} norm weights in {{file}} sit near 1 (median of means {{median}}, {{near1}} near 1): the +1 looks folded in and would be added twice (confidence {{confidence}}; layout: {{layout}}; expected centre 0: {{fact}}). Evidence: {{evidence}}.",
    offsetIntoPlain: "{{family}} norms compute x * w, but the {{count}} norm weights in {{file}} sit near 0 (median of means {{median}}, {{near0}} near 0): offset-encoded (Gemma-style) weights would scale every activation by about 0 (confidence {{confidence}}; layout: {{layout}}). Evidence: {{evidence}}.",
    notShifted: "The converter to this layout adds 1 to {{family}}'s norm weights ({{fact}}), but the {{count}} norm weights in {{file}} sit near 0 (median of means {{median}}): the +1 was not added and the runtime's plain x * w norm will scale by about 0 (confidence {{confidence}}; layout: {{layout}}). Evidence: {{evidence}}.",
    doubleShift: "The {{count}} norm weights in {{file}} sit near 2 (median of medians {{median}}) where {{family}} in this layout keeps them near {{expected}} ({{fact}}): the +1 offset was applied twice before storage, and every norm scales by about {{factor}} (layout: {{layout}}). Evidence: {{evidence}}.",
  },
  check(ctx) {
    const { family: fam, offset, normTensors, anchor, layout, normGroups } = ctx.folder;
    const trunk = normGroups.find((g) => g.group === "trunk");
    if (!fam || !offset || !trunk || trunk.centre.centre === "unknown") return;
    const expected = expectedCentre(fam, layout.format, "trunk");
    if (expected.centre === "unknown") return;
    const observed = trunk.centre.centre;
    if (observed === expected.centre) return;
    // A double shift is the +1 of an offset family applied twice; a plain family's trained norms
    // can legitimately sit near 2 (final norms), so only offset families are judged there.
    if (observed === 2 && !fam.offset) return;
    // Hugging Face naming without any marker is also what an unquantized MLX conversion looks like:
    // when the family's MLX layout explains the weights, the folder is not judged as HF.
    if (!layout.marked && layout.format === "hf" && explainedElsewhere(ctx.folder, observed, ["mlx"])) return;
    const file = normTensors[0]?.file ?? trunk.tensors[0].file;
    const evidence = trunk.centre.evidence.slice(0, 4).map((e) => `${e.name} median ${e.median.toFixed(3)}`).join("; ");
    const data = {
      family: fam.modelType,
      count: trunk.tensors.length,
      file,
      median: (observed === 2 ? trunk.centre.medianOfMedians : offset.medianOfMeans).toFixed(3),
      near0: `${offset.nearZero}/${normTensors.length}`,
      near1: `${offset.nearOne}/${normTensors.length}`,
      confidence: offset.confidence.toFixed(2),
      evidence,
      layout: layout.label,
      fact: expected.cite,
      expected: String(expected.centre),
      factor: expected.centre === 0 ? "3 instead of 1" : "2 instead of 1",
    };
    // Near 0 where a converter's layout keeps an offset family near 1: the converter's +1 is missing.
    const messageId: Ids = observed === 2 ? "doubleShift" : observed === 1 ? "foldedTwice" : fam.offset && layout.format !== "hf" ? "notShifted" : "offsetIntoPlain";
    ctx.report({ messageId, file: anchor.file, at: anchor.range, data, related: [{ file, message: "norm weights read here" }] });
  },
});

/** Whether another format's layout for the family puts the trunk where it was observed. */
function explainedElsewhere(folder: ModelFolder, observed: 0 | 1 | 2, formats: LayoutFormat[]): boolean {
  return formats.some((f) => folder.family !== undefined && expectedCentre(folder.family, f, "trunk").centre === observed);
}
