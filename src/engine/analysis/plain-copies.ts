// A weight conversion that adds 1 to some of an offset family's decoder norms and copies another
// one as it is (TransformerLens's `convert_gemma_weights` with the `+ torch.ones_like(...)` of
// `ln1.w` gone, TransformerLens #594). The shifts the function makes are its own statement of what
// the target runtime computes: TransformerLens's RMSNorm scales by `w`
// (transformer_lens/components/rms_norm.py), so every Gemma norm it is handed needs the 1 folded in.
// A decoder norm of the same convention (the knowledge base's class for that slot scales by
// `1 + weight`) copied without it scales by about 0 in the target.
import { family as familyOf } from "../knowledge/index";
import { field, type PyNode, walk } from "../parsers/python";
import type { DeclaredConventions } from "./declared-types";
import { classForSlot } from "./family";
import type { PlainCopy } from "./types";

/** Decoder norms whose slots share one convention in the families that shift them (Gemma 1-3). */
const DECODER_SLOTS = new Set(["input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm"]);
const CAST_TAIL = /\.(float|half|bfloat16|clone|detach|contiguous|cpu|to|type)\([^()]*\)$/;

/** `base.layers[l].input_layernorm.weight.float()` -> "input_layernorm", for a decoder norm slot's weight. */
function slotOf(n: PyNode, text: string): string | undefined {
  let t = text.slice(n.start, n.end).replace(/\s+/g, "");
  for (let i = 0; i < 3; i++) t = t.replace(CAST_TAIL, "");
  const m = /\.(\w+)\.weight$/.exec(t);
  return m && DECODER_SLOTS.has(m[1]) ? m[1] : undefined;
}

export function collectPlainCopies(root: PyNode, text: string, declared: DeclaredConventions | undefined): PlainCopy[] {
  const out: PlainCopy[] = [];
  const convs = (declared?.conversions ?? []).filter((c) => c.delta === 1 && !c.gguf && c.fn && c.names?.length);
  if (!convs.length) return out;
  for (const fn of walk(root)) {
    if (fn.type !== "function_definition") continue;
    const inFn = convs.filter((c) => c.range.start >= fn.start && c.range.end <= fn.end);
    if (!inFn.length) continue;
    // The function's own shifts: conversions of a nested function are that function's.
    const own = inFn.filter((c) => !walk(fn).some((g) => g !== fn && g.type === "function_definition" && c.range.start >= g.start && c.range.end <= g.end));
    const shifted = own.flatMap((c) => (c.names ?? []).map((n) => ({ slot: /(\w+)\.weight$/.exec(n)?.[1], c }))).filter((s) => s.slot && DECODER_SLOTS.has(s.slot));
    if (!shifted.length) continue;
    const fam = own.flatMap((c) => c.serves?.families ?? []).find((f) => f.offset);
    if (!fam) continue;
    for (const n of walk(field(fn, "body")!)) {
      if (n.type !== "assignment" || field(n, "left")?.type !== "subscript") continue;
      const right = field(n, "right");
      const slot = right && slotOf(right, text);
      if (!slot || shifted.some((s) => s.slot === slot)) continue;
      const cls = classForSlot(familyOf(fam.modelType) ?? fam, slot);
      if (!cls?.offset) continue;
      const first = shifted[0];
      out.push({ range: { start: right.start, end: right.end }, slot, shifted: first.slot!, shiftedAt: first.c.range, fn: text.slice(field(fn, "name")!.start, field(fn, "name")!.end), modelType: fam.modelType });
    }
  }
  return out;
}
