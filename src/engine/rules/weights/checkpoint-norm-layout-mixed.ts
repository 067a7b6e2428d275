import type { NormGroup } from "../../folder-model";
import { expectedCentre, type LayoutFormat } from "../../knowledge/layouts";
import { defineRule, type FolderRuleContext } from "../../rule";

/**
 * ## What it does
 * Splits a checkpoint's norm weights into module groups (the trunk, a multi-token-prediction head,
 * a vision tower, gated linear-attention norms), finds where each group sits (near 0, 1 or 2) and
 * compares every group with the centre the detected storage layout keeps for it. It reports when
 * the groups are off by different amounts, so that no single layout explains the file: one group
 * was shifted by +1 a different number of times than the others.
 *
 * ## Why is this bad?
 * A loader applies one convention per layout. When an export adds the +1 twice to the trunk but
 * once to the MTP head (unsloth-zoo #1095), or a converter shifts the gated norms it should leave
 * alone, one part of the model is scaled by about 2 (or 0) whatever the loader does, and nothing
 * fails at load time. Raw ratios across layouts are not evidence (llama.cpp #22565): only groups
 * whose expected centres are known are compared, a file some other layout explains is left alone,
 * plain families are not judged (their groups sit wherever training left them), and a Hugging Face
 * checkpoint whose trunk is where the family keeps it is not judged by its smaller groups alone.
 *
 * ## Example
 * A Qwen3.5 safetensors export whose `model.layers.*.input_layernorm.weight` sit near 2 while
 * `mtp.pre_fc_norm_embedding.weight` and `mtp.norm.weight` sit near 1.
 *
 * ## Use instead
 * Re-export from the original weights with one conversion applied to every group, or subtract the
 * extra 1 from the group that got it twice.
 */
export default defineRule<"mixed", FolderRuleContext<"mixed">>({
  name: "checkpoint-norm-layout-mixed",
  code: "NL311",
  severity: "error",
  input: "folder",
  tags: ["checkpoint", "norm", "offset", "layout"],
  fix: "none",
  summary: "groups of norms in one checkpoint shifted by different amounts (trunk +2 beside an MTP head at +1)",
  messages: {
    mixed: "In {{file}} the {{a}} norms sit near {{obsA}} (expected {{expA}}) but the {{b}} norms sit near {{obsB}} (expected {{expB}}): {{family}} keeps them in one layout, so one group was shifted a different number of times (layout: {{layout}}; {{fact}}). Evidence: {{evidence}}.",
  },
  check(ctx) {
    const { family: fam, normGroups, layout, anchor } = ctx.folder;
    // Converters shift offset families' norms; a plain family's groups (DeepSeek's MTP enorm/hnorm)
    // can sit anywhere after training, so they are not compared.
    if (!fam?.offset) return;
    const judged = (format: LayoutFormat) =>
      normGroups.flatMap((g) => {
        const obs = g.centre.centre;
        if (obs === "unknown" || (obs === 2 && !fam.offset)) return [];
        const exp = expectedCentre(fam, format, g.group);
        return exp.centre === "unknown" ? [] : [{ g, obs, exp, delta: obs - exp.centre }];
      });
    const here = judged(layout.format);
    const deltas = new Set(here.map((j) => j.delta));
    if (here.length < 2 || deltas.size < 2) return;
    // In a Hugging Face checkpoint whose trunk sits where the family keeps it, a small group near 1
    // can be trained offsets: only a converter layout, or a trunk off its centre, is evidence.
    if (layout.format === "hf" && here.some((j) => j.g.group === "trunk" && j.delta === 0)) return;
    // Unmarked Hugging Face naming is also what an unquantized MLX conversion looks like: when the
    // MLX layout places every group where it was found, the file is explained, not mixed. A marked
    // layout (GGUF, MLX metadata, Megatron naming) is what it says.
    const others: LayoutFormat[] = layout.marked ? [] : ["mlx"];
    if (others.some((f) => judged(f).every((j) => j.delta === 0) && judged(f).length === here.length)) return;
    // The pair to name: the trunk (or the largest group) against the first group off by another amount.
    const sorted = [...here].sort((x, y) => (x.g.group === "trunk" ? -1 : y.g.group === "trunk" ? 1 : y.g.tensors.length - x.g.tensors.length));
    const a = sorted[0];
    const b = sorted.find((j) => j.delta !== a.delta)!;
    const ev = (g: NormGroup) => g.centre.evidence.slice(0, 2).map((e) => `${e.name} median ${e.median.toFixed(3)}`);
    ctx.report({
      messageId: "mixed",
      file: anchor.file,
      at: anchor.range,
      data: {
        file: a.g.tensors[0].file,
        a: a.g.group,
        b: b.g.group,
        obsA: String(a.obs),
        obsB: String(b.obs),
        expA: String(a.exp.centre),
        expB: String(b.exp.centre),
        family: fam.modelType,
        layout: layout.label,
        fact: a.exp.fact ? a.exp.cite : b.exp.cite,
        evidence: [...ev(a.g), ...ev(b.g)].join("; "),
      },
      related: [
        { file: a.g.tensors[0].file, message: `${a.g.group} norms read here` },
        { file: b.g.tensors[0].file, message: `${b.g.group} norms read here` },
      ],
    });
  },
});
