import { defineRule, type FolderRuleContext } from "../../rule";

/**
 * ## What it does
 * Validates every `.gguf` header (versions 2 and 3): magic, version, counts, metadata key/values,
 * tensor infos, alignment and tensor bounds, naming the byte offset of each problem.
 *
 * ## Why is this bad?
 * A GGUF file cut short or written by a buggy converter makes llama.cpp refuse it at best and read
 * garbage at worst; finding it before a long load saves the round trip.
 *
 * ## Example
 * A GGUF file whose tensor count claims 2^64-1 tensors.
 *
 * ## Use instead
 * Re-run the converter (llama.cpp's `convert_hf_to_gguf.py`) on the original checkpoint.
 */
export default defineRule<"invalid", FolderRuleContext<"invalid">>({
  name: "gguf-invalid",
  code: "NL302",
  severity: "error",
  input: "folder",
  tags: ["checkpoint", "syntax"],
  fix: "none",
  summary: "GGUF file whose header is invalid",
  messages: { invalid: "Invalid GGUF file at byte {{offset}}: {{message}}" },
  check(ctx) {
    for (const c of ctx.folder.checkpoints) {
      if (c.kind !== "gguf") continue;
      for (const p of c.problems) ctx.report({ messageId: "invalid", file: c.path, at: { start: 0, end: 0 }, data: { offset: p.offset, message: p.message } });
    }
  },
});
