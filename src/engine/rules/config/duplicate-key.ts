import type { Node } from "jsonc-parser";
import { deletePropertyEdit, properties } from "../../parsers/json";
import { defineRule } from "../../rule";
import { lineAt } from "../../util/text";

/**
 * ## What it does
 * Flags a key that appears twice in the same object of a config.json.
 *
 * ## Why is this bad?
 * Python's `json` keeps the last value without a warning, while some other readers keep the first;
 * an edit to the first copy (an eps, a norm flag) silently has no effect.
 *
 * ## Example
 * `{"rms_norm_eps": 1e-5, "rms_norm_eps": 1e-6}`
 *
 * ## Use instead
 * `{"rms_norm_eps": 1e-6}`
 */
export default defineRule({
  name: "duplicate-key",
  code: "NL004",
  severity: "warning",
  input: "config",
  tags: ["syntax", "config"],
  fix: "unsafe",
  summary: "key repeated in one object (Python keeps the last)",
  messages: {
    duplicate: "`{{key}}` appears again on line {{line}}; Python's json keeps the last value, so this one is ignored.",
  },
  check(ctx) {
    const root = ctx.config?.doc.root;
    if (!root) return;
    const stack: Node[] = [root];
    while (stack.length) {
      const node = stack.pop()!;
      if (node.type === "object") {
        const props = properties(node);
        const last = new Map<string, number>();
        props.forEach((p, i) => last.set(p.key, i));
        props.forEach((p, i) => {
          const j = last.get(p.key)!;
          if (j === i) return;
          const later = props[j];
          const line = lineAt(ctx.text, later.keyNode.offset);
          ctx.report({
            messageId: "duplicate",
            at: p.keyNode,
            data: { key: p.key, line },
            fixes: [{ title: `Remove this ignored \`${p.key}\``, safe: false, edits: [deletePropertyEdit(ctx.text, node, p.node)] }],
          });
        });
      }
      for (const c of node.children ?? []) if (c.type === "object" || c.type === "array" || c.type === "property") stack.push(c);
    }
  },
});
