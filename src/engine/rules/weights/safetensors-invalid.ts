import { defineRule, type FolderRuleContext } from "../../rule";

/**
 * ## What it does
 * Validates every `.safetensors` header as the reference implementation does, and more: the header
 * length, UTF-8 JSON, known dtypes, shapes, offsets inside the data area, contiguous and
 * non-overlapping, byte lengths that match the shape, no duplicate tensor names. Each problem names
 * its byte offset.
 *
 * ## Why is this bad?
 * A truncated download or a hand-written converter produces files that some loaders reject and others
 * read silently wrong (a duplicate name keeps the last tensor, an overlap aliases two tensors).
 *
 * ## Example
 * A header whose `data_offsets` for `model.norm.weight` run past the end of the file.
 *
 * ## Use instead
 * Re-download or re-convert the checkpoint; `safetensors.torch.save_file` writes valid headers.
 */
export default defineRule<"invalid", FolderRuleContext<"invalid">>({
  name: "safetensors-invalid",
  code: "NL301",
  severity: "error",
  input: "folder",
  tags: ["checkpoint", "syntax"],
  fix: "none",
  summary: "safetensors file whose header is invalid",
  messages: { invalid: "Invalid safetensors file at byte {{offset}}: {{message}}" },
  check(ctx) {
    for (const c of ctx.folder.checkpoints) {
      if (c.kind !== "safetensors") continue;
      for (const p of c.problems) ctx.report({ messageId: "invalid", file: c.path, at: { start: 0, end: 0 }, data: { offset: p.offset, message: p.message } });
    }
  },
});
