import { defineRule, type FolderRuleContext } from "../../rule";

/**
 * ## What it does
 * Checks `model.safetensors.index.json` against the shards: valid JSON with a `weight_map` object,
 * every shard file present, every listed tensor in its shard, no tensor in two shards, no shard left
 * out of the map.
 *
 * ## Why is this bad?
 * transformers trusts the index: a tensor listed in the wrong shard fails late, and a tensor missing
 * from the map is never loaded (its module is initialised instead, with a warning in the log).
 *
 * ## Example
 * `"model.norm.weight": "model-00002-of-00002.safetensors"` while the tensor is in shard 1.
 *
 * ## Use instead
 * Regenerate the index with `save_pretrained`, or fix the entry.
 */
export default defineRule<"invalid", FolderRuleContext<"invalid">>({
  name: "checkpoint-index-invalid",
  code: "NL308",
  severity: "error",
  input: "folder",
  tags: ["checkpoint"],
  fix: "none",
  summary: "sharded checkpoint index that does not match its shards",
  messages: { invalid: "{{message}}" },
  check(ctx) {
    const index = ctx.folder.index;
    if (!index) return;
    for (const p of index.result.problems) ctx.report({ messageId: "invalid", file: index.path, at: { start: p.start, end: p.end }, data: { message: p.message } });
  },
});
