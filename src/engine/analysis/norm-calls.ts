// Calls of a norm function defined in another module on one of this module's own norms: unsloth's
// gemma.py computes its final norm with `fast_rms_layernorm_inference_gemma(self.model.norm, ...)`,
// a function of llama.py it `*`-imports; sending it through the Llama one
// (`fast_rms_layernorm_inference`, `x * w`) instead drops Gemma's offset. The module records the
// call, the norm slot and its family; the project pass (src/engine/project/effective.ts) looks up
// what the called function scales by.
import { field, namedChildren, type PyNode, walk } from "../parsers/python";
import { classForSlot } from "./family";
import type { ModuleAnalysis, NormCall } from "./types";

const SLOT_ARG = /^[A-Za-z_][\w.]*\.(\w*(norm|layernorm)\w*)$/i;

/** Calls of imported norm functions on a norm of the module's offset family (none when the module shifts those weights itself). */
export function collectNormCalls(m: Pick<ModuleAnalysis, "fileFamily" | "instanceShifts" | "imports">, root: PyNode, text: string, functions: ReadonlyMap<string, PyNode>): NormCall[] {
  const fam = m.fileFamily?.family;
  if (!fam?.offset || m.instanceShifts?.length) return [];
  // `from .llama import *`, also under a `try:`; the module's own functions are the analysis's.
  const stars = [...text.matchAll(/^[ \t]*from\s+([\w.]+)\s+import\s+\*/gm)].map((x) => x[1]);
  const out: NormCall[] = [];
  for (const n of walk(root)) {
    if (n.type !== "call") continue;
    const fnNode = field(n, "function");
    if (fnNode?.type !== "identifier") continue;
    const callee = text.slice(fnNode.start, fnNode.end);
    if (functions.has(callee) || !/norm|rms/i.test(callee)) continue;
    const args = namedChildren(field(n, "arguments"));
    const first = args[0];
    const arg = first ? text.slice(first.start, first.end).replace(/\s+/g, "") : "";
    const slot = SLOT_ARG.exec(arg)?.[1];
    if (!slot || !classForSlot(fam, slot)?.offset) continue;
    const imported = m.imports.get(callee);
    const from = imported ? [imported.slice(0, imported.lastIndexOf("."))] : stars;
    if (!from.length) continue;
    const keywords = args.some((a) => a.type === "keyword_argument" || a.type === "dictionary_splat" || a.type === "list_splat");
    out.push({ callee, from, arg, slot, modelType: fam.modelType, range: { start: fnNode.start, end: fnNode.end }, argc: args.filter((a) => a.type !== "keyword_argument").length, keywords });
  }
  return out;
}

