import { defineRule, type FolderRuleContext } from "../../rule";

/**
 * ## What it does
 * Notes PyTorch pickle checkpoints (`.bin`, `.pt`, `.pth`, `.ckpt`) in a model folder: normlint never
 * unpickles them and does not read their tensors, so the checkpoint rules cannot check them.
 *
 * ## Why is this bad?
 * Unpickling runs arbitrary code from the file; normlint will not do it. Without tensor names and
 * values, offset and key mismatches in these weights go unchecked.
 *
 * ## Example
 * A folder holding only `pytorch_model.bin`.
 *
 * ## Use instead
 * Convert to safetensors (`model.save_pretrained(dir, safe_serialization=True)`).
 */
export default defineRule<"unread", FolderRuleContext<"unread">>({
  name: "checkpoint-format-unread",
  code: "NL310",
  severity: "info",
  input: "folder",
  tags: ["checkpoint"],
  fix: "none",
  summary: "PyTorch pickle checkpoint that normlint does not read",
  messages: { unread: "normlint does not read PyTorch pickles ({{files}}): the norm weights are unchecked. Convert to safetensors to check them." },
  check(ctx) {
    const { pickles, checkpoints, anchor } = ctx.folder;
    if (pickles.length === 0 || checkpoints.some((c) => c.kind === "safetensors")) return;
    ctx.report({ messageId: "unread", file: anchor.file, at: anchor.range, data: { files: pickles.map((p) => p.split("/").pop()).join(", ") } });
  },
});
