import type { NormImpl } from "../../analysis/types";
import { walk } from "../../parsers/python";
import { defineRule, type PythonRuleContext } from "../../rule";
import { checkedNorms, factsLabel, fix } from "./shared";

type M = "weight" | "bias";

/**
 * ## What it does
 * Flags a norm whose parameters are named differently from the keys its family's checkpoints
 * store (`scale`/`shift`, `gamma`/`beta`, `g`/`b`, `w`/`b` where the checkpoint has `weight` and
 * `bias`), unless the project renames them while loading: a key-renaming dict or `.replace()`,
 * assignments such as `model.norm1.scale = assign(...)` (the LLMs-from-scratch style), or a
 * `_load_from_state_dict` hook, in this file or any other of the project. A project that loads no
 * weights gets no finding; it is an error only when a loader maps the class's other parameters and
 * skips this one, otherwise a warning (the checkpoint's keys were not seen). Where a family's checkpoints really use another name (Moonshine
 * Streaming's encoder norm stores `gamma`, as transformers writes it), the knowledge base records it
 * and that name is the expected one.
 *
 * ## Why is this bad?
 * `load_state_dict(strict=False)` and many loaders skip keys they cannot match, so the norm keeps
 * its initial ones and zeros while the rest of the model loads. The model runs, badly, and no
 * error says why.
 *
 * ## Example
 * `self.scale = nn.Parameter(torch.ones(dim))` in a Llama RMSNorm loaded from a Hugging Face
 * checkpoint.
 *
 * ## Use instead
 * `self.weight = nn.Parameter(torch.ones(dim))`, or a key mapping such as
 * `{"model.norm.weight": "model.norm.scale"}` applied while loading.
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "norm-param-name-mismatch",
  code: "NL205",
  severity: "error",
  input: "python",
  tags: ["modeling", "checkpoint"],
  fix: "unsafe",
  summary: "norm parameter named differently from the checkpoint's weight/bias keys",
  messages: {
    weight: "`{{cls}}` names its scale `{{name}}`, but {{family}} checkpoints store it as `{{key}}` and nothing here renames it: the weight will not load.",
    bias: "`{{cls}}` names its bias `{{name}}`, but {{family}} checkpoints store it as `{{key}}` and nothing here renames it: the bias will not load.",
  },
  check(ctx) {
    const m = ctx.module;
    if (!m) return;
    const mapped = (name: string) =>
      m.loading.some((l) => l.targets.includes(name) || (l.to !== undefined && new RegExp(`(^|\\.)${name}$`).test(l.to)));
    for (const impl of checkedNorms(ctx)) {
      const f = impl.facts;
      if (f.init === "none" || impl.loadHook) continue;
      const params = impl.params.filter((p) => p.storage === "parameter");
      const weight = impl.compute?.scale && !impl.compute.scale.implicit ? impl.compute.scale.param : params.find((p) => p.init === "ones" || p.init === "zeros")?.name;
      const path = f.cls?.at[0]?.replace(/\.\{N\}/g, ".0");
      const key = (suffix: string) => (path ? `${path}.${suffix}` : `<norm>.${suffix}`);
      // The checkpoint's name for the scale: `weight`, or the knowledge base's (Moonshine Streaming's `gamma`).
      const check = (name: string | undefined, messageId: M, expected: string) => {
        const p = params.find((x) => x.name === name);
        if (!p || p.name === expected || mapped(p.name)) return;
        ctx.report({
          messageId,
          at: p.nameRange,
          data: { cls: impl.name, name: p.name, family: factsLabel(f), key: key(expected) },
          fixes: renameFix(ctx.text, impl, p.name, expected),
          // The project settles the verdict (src/engine/project): whether anything maps this name
          // or the class's other parameters while loading.
          meta: { param: p.name, siblings: params.filter((x) => x.name !== p.name).map((x) => x.name).join(",") },
        });
      };
      check(weight, "weight", f.cls?.scale ?? "weight");
      if (f.bias) check(impl.compute?.bias ?? params.find((p) => p.name !== weight && p.init === "zeros")?.name, "bias", "bias");
    }
  },
});

/** Renames `self.<from>` (and the name in register_* calls) everywhere in the class. */
function renameFix(text: string, impl: NormImpl, from: string, to: string) {
  const edits: Array<{ start: number; end: number; text: string }> = [];
  for (const n of walk(impl.node)) {
    if (n.type === "attribute") {
      const obj = n.children.find((c) => c.field === "object");
      const attr = n.children.find((c) => c.field === "attribute");
      if (obj && attr && text.slice(obj.start, obj.end) === "self") {
        const a = text.slice(attr.start, attr.end);
        if (a === to) return []; // the class already has a `weight`: renaming would collide
        if (a === from) edits.push({ start: attr.start, end: attr.end, text: to });
      }
    } else if (n.type === "string_content" && text.slice(n.start, n.end) === from && n.parent?.parent?.type === "argument_list") {
      edits.push({ start: n.start, end: n.end, text: to });
    }
  }
  return edits.length ? [fix(`Rename \`${from}\` to \`${to}\` in \`${impl.name}\``, edits)] : [];
}
