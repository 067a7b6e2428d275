// A load-time shift of the norm weights of a model's modules, picked out by class: unsloth's
// `post_patch` walks `model.named_modules()` and, `if isinstance(module, GemmaRMSNorm):`, may add
// 1 to `module.weight` (unsloth/models/gemma.py, "Leave + 1 to Triton kernel itself"). Composed
// with what computes those norms afterwards it is the effective convention: the shift is right only
// where the forward that runs scales by the plain weight. A class whose knowledge-base record
// scales by `1 + weight` keeps doing so unless the module installs another forward on it, and the
// module's own kernel calls may say the kernel adds 1 (`fast_rms_layernorm(..., gemma=True)`): in
// either case the shifted weight meets a second 1.
import { field, namedChildren, type PyNode, textOf, walk } from "../parsers/python";
import { guardingIsinstance } from "./conversions";
import type { DeclaredConventions } from "./declared-types";
import { familyForClass } from "./family";
import type { FamilyRef, InstanceShift, NormPatch } from "./types";

const ONE = /^1(\.0*)?$/;

/** `<v>.weight += 1`, `<v>.weight.data += 1.0`, `<v>.weight.add_(1)`: the instance variable shifted by 1. */
function shiftedInstance(n: PyNode, text: string): string | undefined {
  const clean = (s: string) => s.replace(/\s+/g, "");
  if (n.type === "augmented_assignment") {
    const op = text.slice(field(n, "left")!.end, field(n, "right")!.start).trim();
    const m = /^(\w+)\.weight(\.data)?$/.exec(clean(textOf(text, field(n, "left"))));
    return op === "+=" && m && m[1] !== "self" && ONE.test(clean(textOf(text, field(n, "right")))) ? m[1] : undefined;
  }
  if (n.type === "call") {
    const m = /^(\w+)\.weight(\.data)?\.add_$/.exec(clean(textOf(text, field(n, "function"))));
    const args = namedChildren(field(n, "arguments"));
    return m && m[1] !== "self" && args.length === 1 && ONE.test(clean(textOf(text, args[0]))) ? m[1] : undefined;
  }
  return undefined;
}

/**
 * A shift undone later in the same block (`ln.weight += 1; ln.weight.div_(scales); ln.weight -= 1`:
 * AutoAWQ's fold acting on `1 + w`) is a round trip, not a change of layout.
 */
function undoneLater(n: PyNode, v: string, text: string): boolean {
  let st: PyNode | undefined = n;
  while (st?.parent && st.parent.type !== "block") st = st.parent;
  const block = st?.parent;
  if (!block || !st) return false;
  const after = text.slice(st.end, block.end).replace(/\s+/g, "");
  const w = `${v}\\.weight(\\.data)?`;
  return new RegExp(`(^|[^\\w.])${w}(-=1(\\.0*)?(?![\\d.])|\\.sub_\\(1(\\.0*)?\\)|\\.add_\\(-1(\\.0*)?\\))`).test(after);
}

export function collectInstanceShifts(root: PyNode, text: string, file: FamilyRef | undefined, patches: NormPatch[], declared: DeclaredConventions | undefined): InstanceShift[] {
  const out: InstanceShift[] = [];
  for (const n of walk(root)) {
    const v = shiftedInstance(n, text);
    if (!v || undoneLater(n, v, text)) continue;
    // The innermost `if`/`elif` testing the instance, on its own branch (an `else` is not that class).
    const [tested = []] = guardingIsinstance(n, v, text);
    for (const cls of tested) {
      const fam = familyForClass(cls, file)?.family;
      if (!fam?.classes?.some((c) => c.name === cls && c.offset)) continue;
      // Another forward installed on the class (a plain `x * w` one is what makes the shift right).
      const patched = patches.some((p) => p.target === cls);
      const kernel = declared?.declarations.find((d) => d.aspect === "offset" && d.value === true && d.effect === "numerics" && d.serves?.families.some((f) => f.modelType === fam.modelType));
      out.push({ range: { start: n.start, end: n.end }, cls, modelType: fam.modelType, ...(kernel ? { kernelAt: kernel.range, kernel: kernel.callee ?? kernel.key, kernelArg: `${kernel.key}=${kernel.raw}` } : {}), ...(patched ? { patched } : {}) });
      break;
    }
  }
  return out;
}
