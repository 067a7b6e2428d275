// Collects the norm conventions a module declares rather than computes: flags set on a config
// (`self.cfg.rmsnorm_uses_offset = True`), keyword arguments and parameter defaults of norm
// callables (`partial(_patch_rms_norm_module, offset=1.0, casting_mode="gemma")`,
// `def __init__(self, dim, offset=0.0, casting_mode="llama")`), the defaults a call leaves in
// place, what a monkey-patch binds, and adapters that inherit a flag they never set. Each gets
// the family it serves (declared-scope.ts); rules compare the two through the knowledge base.
import { field, namedChildren, type PyNode, walk } from "../parsers/python";
import { collectConversions } from "./conversions";
import { collectKernelOffsetMisses, collectLoadShifts } from "./kernels";
import { definitionServes, familyInIdentifier, literal, mappingTables, type ScopeIndex, servesAt } from "./declared-scope";
import type { Declaration, DeclaredConventions, InheritedFlag } from "./declared-types";
import { FLAG_HOLDERS, KEYS } from "./declared-vocab";
import { EXTERNAL_NORMS } from "./external";
import { paramName } from "./interp";
import type { FamilyRef, NormPatch, Range } from "./types";

const range = (n: PyNode): Range => ({ start: n.start, end: n.end });

export interface DeclarationInput {
  root: PyNode;
  text: string;
  path: string;
  file?: FamilyRef;
  patches: NormPatch[];
}

type Lit = boolean | number | string;

function enclosingOf(n: PyNode, types: RegExp): PyNode | undefined {
  for (let p = n.parent; p; p = p.parent) if (types.test(p.type)) return p;
  return undefined;
}

function nameOf(def: PyNode | undefined, text: string): string {
  const n = field(def, "name");
  return n ? text.slice(n.start, n.end) : "";
}

function basesOf(cls: PyNode, text: string): string[] {
  return namedChildren(field(cls, "superclasses")).filter((b) => b.type !== "keyword_argument").map((b) => text.slice(b.start, b.end).split(".").pop()!);
}

const NORMISH = /norm/i;

/** Is a class a norm (by its name or a base's)? */
function normClass(cls: PyNode | undefined, text: string): boolean {
  return !!cls && (NORMISH.test(nameOf(cls, text)) || basesOf(cls, text).some((b) => NORMISH.test(b)));
}

/** The parameters of a def with a literal default, by name, with their index among the positional ones. */
function defaultsOf(def: PyNode, text: string, skipSelf: boolean): Array<{ name: string; index: number; value: Lit; node: PyNode }> {
  const out: Array<{ name: string; index: number; value: Lit; node: PyNode }> = [];
  let index = 0;
  let positional = true;
  const params = namedChildren(field(def, "parameters"));
  params.forEach((p, i) => {
    if (p.type === "keyword_separator" || p.type === "list_splat_pattern") positional = false;
    const name = paramName(p, text);
    if (skipSelf && i === 0) return;
    if ((p.type === "default_parameter" || p.type === "typed_default_parameter") && name) {
      const v = literal(field(p, "value"), text);
      if (v !== undefined) out.push({ name, index: positional ? index : -1, value: v, node: p });
    }
    if (positional) index++;
  });
  return out;
}

export function collectDeclared(input: DeclarationInput): DeclaredConventions {
  const { root, text } = input;
  const idx: ScopeIndex = { text, tables: mappingTables(root, text), file: input.file, path: input.path };
  const declarations: Declaration[] = [];
  const defs = new Map<string, PyNode>();
  for (const st of namedChildren(root)) {
    const def = st.type === "decorated_definition" ? field(st, "definition") : st;
    if (def?.type === "function_definition" || def?.type === "class_definition") defs.set(nameOf(def, text), def);
  }
  const patchValues = input.patches.map((p) => p.value);
  const inPatch = (n: PyNode) => patchValues.some((v) => n.start >= v.start && n.end <= v.end);

  const add = (d: Omit<Declaration, "serves" | "src" | "aspect"> & { node: PyNode }) => {
    const key = KEYS[d.key];
    const value = key.read(d.value as Lit);
    if (value === undefined) return;
    const { node, ...rest } = d;
    declarations.push({ ...rest, aspect: key.aspect, value, serves: servesAt(node, idx), src: key.src, ...(inPatch(node) ? { inPatch: true } : {}) });
  };

  /** The norm callable a call reaches: itself, the target of `partial(...)`, or a norm class's `super().__init__`. */
  const realCallee = (call: PyNode): { name: string; node: PyNode; argsFrom: number; normish: boolean } | undefined => {
    const fn = field(call, "function");
    if (!fn) return undefined;
    const t = text.slice(fn.start, fn.end);
    if (/^(functools\.)?partial$/.test(t)) {
      const target = namedChildren(field(call, "arguments"))[0];
      if (!target || (target.type !== "identifier" && target.type !== "attribute")) return undefined;
      const name = text.slice(target.start, target.end).split(".").pop()!;
      return { name, node: target, argsFrom: 1, normish: NORMISH.test(name) };
    }
    if (/^super\(.*\)\.__init__$/.test(t)) {
      const cls = enclosingOf(call, /^class_definition$/);
      const base = cls ? basesOf(cls, text)[0] : undefined;
      return base ? { name: base, node: fn, argsFrom: 0, normish: normClass(cls, text) } : undefined;
    }
    const name = t.split(".").pop()!;
    return { name, node: fn, argsFrom: 0, normish: NORMISH.test(name) };
  };

  const slotPathOf = (call: PyNode, from: number): string[] | undefined => {
    const first = namedChildren(field(call, "arguments")).filter((a) => a.type !== "keyword_argument")[from];
    if (first?.type !== "attribute") return undefined;
    return text.slice(first.start, first.end).split(".").filter((s) => /^[A-Za-z_]\w*$/.test(s));
  };

  const seenDefaults = new Set<string>();
  for (const n of walk(root)) {
    if (n.type === "assignment") {
      // self.cfg.rmsnorm_uses_offset = True; in a class body (a dataclass field, a config or model
      // provider class: Megatron-Bridge's `layernorm_zero_centered_gamma: bool = True`)
      const left = field(n, "left");
      const classField = left?.type === "identifier" && n.parent?.type === "expression_statement" && n.parent.parent?.parent?.type === "class_definition";
      if (left?.type !== "attribute" && !classField) continue;
      // A sub-model's config (`vision_cfg.layernorm_zero_centered_gamma = False`) is not the family's text model.
      if (left?.type === "attribute" && /vision|visual|vit|audio|image|encoder/i.test(text.slice(field(left, "object")!.start, field(left, "object")!.end))) continue;
      const key = left!.type === "identifier" ? text.slice(left!.start, left!.end) : text.slice(field(left!, "attribute")!.start, field(left!, "attribute")!.end);
      const v = literal(field(n, "right"), text);
      if (KEYS[key] && !KEYS[key].generic && v !== undefined) add({ key, value: v, raw: text.slice(field(n, "right")!.start, field(n, "right")!.end), range: range(field(n, "right")!), form: "attr", effect: "declared", node: n });
    } else if (n.type === "pair") {
      const k = literal(field(n, "key"), text);
      const vn = field(n, "value");
      const v = literal(vn, text);
      if (typeof k === "string" && KEYS[k] && !KEYS[k].generic && v !== undefined && vn) add({ key: k, value: v, raw: text.slice(vn.start, vn.end), range: range(vn), form: "dict", effect: "declared", node: n });
    } else if (n.type === "call") {
      const fnText = text.slice(field(n, "function")!.start, field(n, "function")!.end);
      const args = namedChildren(field(n, "arguments"));
      if (/(^|\.)setattr$/.test(fnText) && args.length === 3) {
        const k = literal(args[1], text);
        const v = literal(args[2], text);
        if (typeof k === "string" && KEYS[k] && !KEYS[k].generic && v !== undefined) add({ key: k, value: v, raw: text.slice(args[2].start, args[2].end), range: range(args[2]), form: "setattr", effect: "declared", node: n });
        continue;
      }
      const callee = realCallee(n);
      if (!callee) continue;
      const given = new Set<string>();
      for (const a of args) {
        if (a.type !== "keyword_argument") continue;
        const k = text.slice(field(a, "name")!.start, field(a, "name")!.end);
        given.add(k);
        const key = KEYS[k];
        const vn = field(a, "value");
        const v = literal(vn, text);
        if (!key || v === undefined || !vn || (key.generic && !callee.normish)) continue;
        const form = /^dict$/.test(fnText) ? "dict" : "kwarg";
        add({ key: k, value: v, raw: text.slice(vn.start, vn.end), range: range(vn), form, effect: callee.normish ? "numerics" : "declared", callee: callee.name, slotPath: slotPathOf(n, callee.argsFrom), site: range(n), node: a });
      }
      if (!callee.normish) continue;
      // The defaults the call leaves in place: a local function's or class's, or a known kernel's.
      const positional = args.filter((a) => a.type !== "keyword_argument" && a.type !== "list_splat" && a.type !== "dictionary_splat").length - callee.argsFrom;
      if (args.some((a) => a.type === "list_splat" || a.type === "dictionary_splat")) continue;
      let defaults: Array<{ name: string; index: number; value: Lit }> = [];
      const local = defs.get(callee.name);
      if (local?.type === "function_definition") defaults = defaultsOf(local, text, false);
      else if (local?.type === "class_definition") {
        const init = namedChildren(field(local, "body")).map((s) => (s.type === "decorated_definition" ? field(s, "definition") : s)).find((d) => d?.type === "function_definition" && nameOf(d, text) === "__init__");
        if (init) defaults = defaultsOf(init, text, true);
      } else if (EXTERNAL_NORMS[callee.name] && !/^super/.test(fnText)) {
        const ext = EXTERNAL_NORMS[callee.name];
        if (ext.offsetKwarg) defaults.push({ name: ext.offsetKwarg, index: ext.offsetPosition ?? -1, value: ext.offset });
        if (ext.cast) defaults.push({ name: "casting_mode", index: ext.castPosition ?? -1, value: ext.cast });
        if (ext.init) defaults.push({ name: "init_fn", index: ext.initPosition ?? -1, value: ext.init });
      }
      const scope = enclosingOf(n, /^(function_definition|module)$/) ?? root;
      for (const d of defaults) {
        if (!KEYS[d.name] || KEYS[d.name].argumentOnly || given.has(d.name) || (d.index >= 0 && d.index < positional)) continue;
        const once = `${scope.start}:${callee.name}:${d.name}`;
        if (seenDefaults.has(once)) continue;
        seenDefaults.add(once);
        add({ key: d.name, value: d.value, raw: `the default of \`${callee.name}\``, range: range(callee.node), form: "default", effect: "numerics", callee: callee.name, slotPath: slotPathOf(n, callee.argsFrom), site: range(n), node: n });
      }
    } else if (n.type === "function_definition") {
      const fname = nameOf(n, text);
      const cls = fname === "__init__" ? enclosingOf(n, /^class_definition$/) : undefined;
      const normish = NORMISH.test(fname) || normClass(cls, text);
      for (const d of defaultsOf(n, text, !!cls)) {
        const key = KEYS[d.name];
        if (!key || key.argumentOnly || (key.generic && !normish)) continue;
        const vn = field(d.node, "value")!;
        add({ key: d.name, value: d.value, raw: text.slice(vn.start, vn.end), range: range(vn), form: "param", effect: normish ? "numerics" : "declared", callee: cls ? nameOf(cls, text) : fname, site: range(n), node: d.node });
      }
    }
  }

  for (const p of input.patches) {
    const ext = p.impl?.source === "external" ? EXTERNAL_NORMS[p.impl.name] : undefined;
    if (!p.family || !ext) continue;
    const serves = { families: [p.family], via: "patch" as const, detail: `\`${p.module.split(".").pop()}.${p.target}\``, at: p.targetRange };
    const kw = p.impl?.partial ? namedChildren(field(p.impl.partial, "arguments")).find((a) => a.type === "keyword_argument" && text.slice(field(a, "name")!.start, field(a, "name")!.end) === "casting_mode") : undefined;
    const cast = kw ? literal(field(kw, "value"), text) : ext.cast;
    if (typeof cast === "string" && KEYS.casting_mode.read(cast) !== undefined) {
      declarations.push({ aspect: "cast", key: "casting_mode", value: cast, raw: kw ? text.slice(field(kw, "value")!.start, field(kw, "value")!.end) : `the default of \`${p.impl!.name}\``, range: kw ? range(field(kw, "value")!) : p.value, form: "patch", effect: "numerics", callee: p.impl!.name, patchTarget: p.target, patchOffset: p.impl?.offset, serves, src: ext.src });
    }
    declarations.push({ aspect: "kind", key: "kind", value: ext.kind, raw: p.impl!.name, range: p.value, form: "patch", effect: "numerics", callee: p.impl!.name, patchTarget: p.target, serves, src: ext.src });
  }

  const inherited = collectInherited(root, text, idx, declarations, defs);
  const { conversions, missingFolds, missingUnfolds, offsetBlindFolds, overShifts, offsetBlindStandIns } = collectConversions(root, text, idx);
  const kernelOffsetMisses = collectKernelOffsetMisses(root, text);
  const loadShifts = collectLoadShifts(root, text);
  return { declarations, inherited, conversions, missingFolds, missingUnfolds, offsetBlindFolds, overShifts, offsetBlindStandIns, kernelOffsetMisses, loadShifts };
}

/**
 * An adapter class that never sets its offset flag keeps the value it inherits: its base adapter's
 * (read from the base's name when the base lives in another module) or the flag's default.
 */
function collectInherited(root: PyNode, text: string, idx: ScopeIndex, declarations: Declaration[], defs: Map<string, PyNode>): InheritedFlag[] {
  const out: InheritedFlag[] = [];
  const classes = walk(root).filter((n) => n.type === "class_definition");
  const byName = new Map(classes.map((c) => [nameOf(c, text), c]));
  const inClass = (d: Declaration, cls: PyNode) => d.range.start >= cls.start && d.range.end <= cls.end;
  for (const holder of FLAG_HOLDERS) {
    for (const cls of classes) {
      const name = nameOf(cls, text);
      if (!holder.suffix.test(name)) continue;
      // The class and its ancestors defined in this module; the first base from elsewhere.
      const chain = [cls];
      let external: string | undefined;
      for (let i = 0; i < chain.length && chain.length < 8; i++) {
        for (const b of basesOf(chain[i], text)) {
          const local = byName.get(b) ?? (defs.get(b)?.type === "class_definition" ? defs.get(b) : undefined);
          if (local) {
            if (!chain.includes(local)) chain.push(local);
          } else external ??= b;
        }
      }
      const own = declarations.filter((d) => chain.some((c) => inClass(d, c)));
      if (own.some((d) => d.key === holder.key)) continue;
      const serves = definitionServes(cls, idx);
      if (!serves || serves.via === "file" || serves.via === "path") continue;
      const baseFamily = external ? familyInIdentifier(external) : undefined;
      const root = external !== undefined && holder.suffix.test(external) && external.replace(holder.suffix, "") === "";
      // A base from another module that names no family may set the flag itself.
      if (external !== undefined && !baseFamily && !root) continue;
      if (baseFamily && serves.families.includes(baseFamily)) continue;
      if (!baseFamily && !own.some((d) => holder.marks.includes(d.key))) continue;
      const value = baseFamily ? (baseFamily.offset as boolean) : holder.default;
      out.push({ key: holder.key, cls: name, range: range(field(cls, "name")!), base: external, baseFamily, value, serves, src: holder.src });
    }
  }
  return out;
}
