import type { NormImpl, Range, Submodule } from "../../analysis/types";
import type { CodeModule } from "../../folder-model";
import { defineRule, type FolderRuleContext } from "../../rule";

type M = "mismatch" | "missing" | "unexpected";

/**
 * ## What it does
 * Simulates `load_state_dict(strict=True)` for the norm parameters of the modeling code in a model
 * folder: each norm the code builds (`self.norm1 = LayerNorm(d)`, with the parameter names its class
 * defines) is matched to the checkpoint's modules at the same place (`trf_blocks.0.norm1`), after the
 * key renames the code applies (literal `.replace()` calls and rename maps, torchtune-style `{}`
 * patterns, transformers' own `LayerNorm.gamma`/`beta` rename), and the missing and unexpected keys
 * are listed. Code that loads the weights itself (assignments such as `norm1.scale = assign(...)`, a
 * mapping that names the parameter, a `_load_from_state_dict` hook) is left alone.
 *
 * ## Why is this bad?
 * With `strict=False`, or a loader that skips what it cannot match, the norm keeps its initial ones
 * and zeros while everything else loads: the model runs, badly, and nothing says why. With
 * `strict=True` the load fails, which is the better outcome but still a broken port.
 *
 * ## Example
 * `self.scale = nn.Parameter(torch.ones(emb_dim))` in the code, `trf_blocks.0.norm1.weight` in
 * `model.safetensors`.
 *
 * ## Use instead
 * Name the parameters as the checkpoint does (`weight`/`bias`), or rename the keys while loading:
 * `{k.replace(".norm1.weight", ".norm1.scale"): v for k, v in state_dict.items()}`.
 */
export default defineRule<M, FolderRuleContext<M>>({
  name: "checkpoint-norm-keys-mismatch",
  code: "NL304",
  severity: "error",
  input: "folder",
  tags: ["checkpoint", "modeling", "norm"],
  fix: "none",
  summary: "norm parameter names in the code that the checkpoint's keys do not provide",
  messages: {
    mismatch:
      "load_state_dict(strict=True) would fail for {{cls}}: {{missingCount}} missing key(s) ({{missing}}) and {{unexpectedCount}} unexpected key(s) ({{unexpected}}) in {{file}}. The checkpoint stores `{{have}}` where the code defines `{{want}}`, and nothing here renames them.",
    missing: "load_state_dict(strict=True) would fail for {{cls}}: {{missingCount}} missing key(s) ({{missing}}) in {{file}}, whose norm modules hold only `{{have}}`.",
    unexpected: "load_state_dict(strict=True) would fail for {{cls}}: {{unexpectedCount}} unexpected key(s) ({{unexpected}}) in {{file}}; the code's norm defines only `{{want}}`.",
  },
  check(ctx) {
    const { code, tensorShapes, fromGguf } = ctx.folder;
    if (!code.length || fromGguf || tensorShapes.size === 0) return;
    if (code.some(hasModelLoadHook)) return;
    const defs = normDefs(code);
    if (!defs.length) return;
    const rename = renamer(code);
    const maxDepth = Math.max(...defs.map((d) => d.depth));

    // Checkpoint keys grouped by the norm module instance they belong to.
    const memo = new Map<string, Def[]>();
    const matching = (mod: string, depth: number): Def[] => {
      const k = `${depth}:${mod}`;
      let hit = memo.get(k);
      if (!hit) {
        let best = 0;
        hit = [];
        for (const d of defs) {
          if (d.depth < depth) continue;
          const spec = specificity(d, mod);
          if (spec === 0 || spec < best) continue;
          if (spec > best) [best, hit] = [spec, []];
          hit.push(d);
        }
        memo.set(k, hit);
      }
      return hit;
    };
    const instances = new Map<string, { defs: Def[]; keys: Map<string, string> }>();
    for (const original of tensorShapes.keys()) {
      const key = rename(original);
      const segs = key.split(".");
      for (let depth = 1; depth <= maxDepth && depth < segs.length; depth++) {
        const mod = segs.slice(0, -depth).join(".");
        const hit = matching(mod, depth);
        if (!hit.length) continue;
        const inst = instances.get(mod) ?? { defs: hit, keys: new Map() };
        inst.keys.set(segs.slice(-depth).join("."), original);
        instances.set(mod, inst);
        break;
      }
    }

    const mentioned = mappedNames(code);
    const groups = new Map<string, { def: Def; missing: string[]; missingRel: Set<string>; unexpected: string[]; unexpectedRel: Set<string>; present: Set<string>; files: Set<string>; skip: boolean }>();
    for (const [mod, inst] of instances) {
      const have = new Set(inst.keys.keys());
      if (inst.defs.some((d) => fits(d.expect, have))) continue;
      // Several code norms claim this module with different parameters: no single answer.
      if (new Set(inst.defs.map((d) => expectId(d.expect))).size > 1) continue;
      const def = inst.defs[0];
      const g = groups.get(def.group) ?? { def, missing: [], missingRel: new Set<string>(), unexpected: [], unexpectedRel: new Set<string>(), present: new Set<string>(), files: new Set<string>(), skip: false };
      for (const h of have) g.present.add(h);
      groups.set(def.group, g);
      const missing = [...def.expect.required].filter((p) => !have.has(p));
      if (missing.some((p) => mentioned.has(p.split(".").pop()!))) g.skip = true;
      g.missing.push(...missing.map((p) => `${mod}.${p}`));
      for (const p of missing) g.missingRel.add(p);
      for (const [rel, original] of inst.keys) {
        if (def.expect.required.has(rel) || def.expect.optional.has(rel)) continue;
        g.unexpected.push(`${mod}.${rel}`);
        g.unexpectedRel.add(rel);
        g.files.add(tensorShapes.get(original)!.file);
      }
      if (missing.length) for (const original of inst.keys.values()) g.files.add(tensorShapes.get(original)!.file);
    }

    for (const g of groups.values()) {
      if (g.skip || (!g.missing.length && !g.unexpected.length)) continue;
      const { def } = g;
      const want = messageIdOf(g) === "mismatch" ? [...g.missingRel] : [...def.expect.required, ...def.expect.optional];
      const have = messageIdOf(g) === "mismatch" ? [...g.unexpectedRel] : [...g.present];
      const files = [...g.files].sort();
      // Anchored on the first parameter the checkpoint lacks, else on the class or the call.
      const param = def.impl?.params.find((p) => g.missingRel.has(p.name));
      const messageId = messageIdOf(g);
      ctx.report({
        messageId,
        file: def.code.path,
        at: param?.nameRange ?? def.at,
        data: {
          cls: def.label,
          missingCount: g.missing.length,
          missing: examples(g.missing),
          unexpectedCount: g.unexpected.length,
          unexpected: examples(g.unexpected),
          file: files.join(", "),
          have: scaleFirst(have).join("`/`"),
          want: scaleFirst(want).join("`/`"),
        },
        // The code's parameter names, for the project pass (a loader elsewhere may map them).
        meta: { params: want.join(",") },
        related: files.map((file) => ({ file, message: "checkpoint whose keys were compared" })),
      });
    }
  },
});

function messageIdOf(g: { missing: string[]; unexpected: string[] }): M {
  return g.missing.length && g.unexpected.length ? "mismatch" : g.missing.length ? "missing" : "unexpected";
}

/** Parameter names with the scale first (`weight`/`bias`, `scale`/`shift`, `gamma`/`beta`), so the two lists pair up. */
function scaleFirst(names: string[]): string[] {
  const rank = (n: string) => (/(^|\.)(weight|scale|gamma|g|w|alpha)$/.test(n) ? 0 : 1);
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

interface Expect {
  required: Set<string>;
  optional: Set<string>;
}

interface Def {
  code: CodeModule;
  /** Module-path regexes; `root` is set on those anchored at a root class (group 1: the wrapper segment). */
  patterns: Array<{ re: RegExp; specificity: number; root?: string }>;
  /** Slot name -> the classes the code builds there. */
  slotClasses: Map<string, Set<string>>;
  expect: Expect;
  /** Segments in the longest parameter name (`ln.weight` is 2). */
  depth: number;
  /** Findings are grouped per norm class (or per torch norm built in place). */
  group: string;
  label: string;
  at: Range;
  impl?: NormImpl;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Parameters of `nn.LayerNorm(...)`/`nn.RMSNorm(...)` as written at the call. */
function torchExpect(callee: string, call: string): Expect | undefined {
  const kind = /^torch\.nn\.(LayerNorm|RMSNorm)$/.exec(callee)?.[1];
  if (!kind) return undefined;
  const required = new Set<string>();
  const optional = new Set<string>();
  const affine = /\belementwise_affine\s*=\s*([^,)\s]+)/.exec(call)?.[1];
  if (affine === "False") return undefined;
  const put = (name: string, sure: boolean) => (sure && affine !== undefined && affine !== "True" ? optional : sure ? required : optional).add(name);
  put("weight", true);
  if (kind === "LayerNorm") {
    const bias = /\bbias\s*=\s*([^,)\s]+)/.exec(call)?.[1];
    if (bias === undefined || bias === "True") put("bias", true);
    else if (bias !== "False") optional.add("bias");
  }
  return { required, optional };
}

function expectId(e: Expect): string {
  return `${[...e.required].sort().join(",")}|${[...e.optional].sort().join(",")}`;
}

function fits(e: Expect, have: Set<string>): boolean {
  for (const r of e.required) if (!have.has(r)) return false;
  for (const h of have) if (!e.required.has(h) && !e.optional.has(h)) return false;
  return true;
}

/**
 * The norms the folder's code builds, each with the checkpoint module paths it would load from.
 * A path is the chain of slots from a root class (one nothing else builds) down to the norm
 * (`trf_blocks.<i>.norm1`), allowing one unknown wrapper segment in front; or the chain from an
 * intermediate class, for a checkpoint saved from that submodule (`layers.<i>.input_layernorm` for
 * a base model saved without its `model.` prefix). The longer the matched chain, the surer the match.
 */
function normDefs(code: CodeModule[]): Def[] {
  const impls = new Map<string, { impl: NormImpl; code: CodeModule }>();
  for (const c of code) for (const impl of c.module.norms) if (!impls.has(impl.name)) impls.set(impl.name, { impl, code: c });
  // Where each class is built (child class name -> the slots holding it), and what each slot holds.
  const byChild = new Map<string, Submodule[]>();
  const slotClasses = new Map<string, Set<string>>();
  for (const c of code) {
    for (const s of c.module.submodules) {
      const cls = s.callee.split(".").pop()!;
      const held = slotClasses.get(s.slot) ?? new Set<string>();
      held.add(cls);
      slotClasses.set(s.slot, held);
      if (s.callee.includes(".") || s.owner === s.callee) continue;
      const list = byChild.get(s.callee) ?? [];
      list.push(s);
      byChild.set(s.callee, list);
    }
  }
  const piece = (s: Submodule) => `${esc(s.slot)}${s.indexed ? "\\.[^.]+" : ""}`;
  /** Chains of slot pieces from a root class down to `cls` (exclusive), with the root's name. */
  const chains = (cls: string, seen: Set<string>): Array<{ root: string; pieces: string[] }> => {
    const parents = (byChild.get(cls) ?? []).filter((p) => !seen.has(p.owner));
    if (!parents.length || seen.size > 8) return [{ root: cls, pieces: [] }];
    const out: Array<{ root: string; pieces: string[] }> = [];
    for (const p of parents) {
      for (const ch of chains(p.owner, new Set([...seen, cls]))) {
        out.push({ root: ch.root, pieces: [...ch.pieces, piece(p)] });
        if (out.length >= 16) return out;
      }
    }
    return out;
  };
  const defs: Def[] = [];
  for (const c of code) {
    for (const s of c.module.submodules) {
      // A torch norm inside a norm class is part of that class's parameters.
      if (impls.has(s.owner)) continue;
      const call = c.text.slice(s.range.start, s.range.end);
      let expect: Expect | undefined;
      let impl: NormImpl | undefined;
      let implCode = c;
      if (s.callee.includes(".")) expect = torchExpect(s.callee, call);
      else {
        const own = c.module.norms.find((n) => n.name === s.callee);
        const found = own ? { impl: own, code: c } : impls.get(s.callee);
        if (!found || found.impl.loadHook) continue;
        impl = found.impl;
        implCode = found.code;
        expect = implExpect(found.impl, found.code);
      }
      if (!expect || (!expect.required.size && !expect.optional.size)) continue;
      const patterns: Def["patterns"] = [];
      const sources = new Set<string>();
      for (const ch of chains(s.owner, new Set())) {
        const full = [...ch.pieces, piece(s)];
        const add = (source: string, specificity: number, root?: string) => {
          if (sources.has(source)) return;
          sources.add(source);
          patterns.push({ re: new RegExp(source), specificity, root });
        };
        // From the root, behind at most one wrapper segment that is not a slot holding another class.
        add(`^(?:([^.]+)\\.)?${full.join("\\.")}$`, full.length + 0.5, ch.root);
        for (let i = 1; i < full.length; i++) add(`^${full.slice(i).join("\\.")}$`, full.length - i);
      }
      const names = [...expect.required, ...expect.optional];
      defs.push({
        code: impl ? implCode : c,
        patterns,
        slotClasses,
        expect,
        depth: Math.max(...names.map((n) => n.split(".").length)),
        group: impl ? `${implCode.path}#${impl.name}` : `${c.path}@${s.range.start}`,
        label: impl ? `\`${impl.name}\`` : `\`${s.owner}.${s.slot}\` (\`${s.callee.replace(/^torch\.nn\./, "nn.")}\`)`,
        at: impl ? impl.nameRange : s.range,
        impl,
      });
    }
  }
  return defs;
}

/** How specifically a def's paths match a checkpoint module path (0: not at all). */
function specificity(d: Def, mod: string): number {
  let best = 0;
  for (const p of d.patterns) {
    if (p.specificity <= best) continue;
    const m = p.re.exec(mod);
    if (!m) continue;
    // `language_model.layers.0...` is not the audio encoder's `layers.0...` when the code builds
    // something else in `language_model`.
    const wrapper = p.root !== undefined ? m[1] : undefined;
    const held = wrapper ? d.slotClasses.get(wrapper) : undefined;
    if (held && !held.has(p.root!)) continue;
    best = p.specificity;
  }
  return best;
}

/** A norm class's parameters (buffers excluded), and those of torch norms it holds. */
function implExpect(impl: NormImpl, code: CodeModule): Expect {
  const required = new Set<string>();
  const optional = new Set<string>();
  for (const p of impl.params) {
    if (p.storage === "buffer") continue;
    (p.conditional ? optional : required).add(p.name);
  }
  for (const s of code.module.submodules) {
    if (s.owner !== impl.name || s.indexed) continue;
    const e = torchExpect(s.callee, code.text.slice(s.range.start, s.range.end));
    if (!e) continue;
    for (const r of e.required) required.add(`${s.slot}.${r}`);
    for (const o of e.optional) optional.add(`${s.slot}.${o}`);
  }
  return { required, optional };
}

/** A `_load_from_state_dict` or load hook outside any norm class renames keys we cannot follow. */
function hasModelLoadHook(c: CodeModule): boolean {
  const inNorm = (at: number) => c.module.norms.some((n) => n.loadHook && at >= n.range.start && at < n.range.end);
  if (c.module.loading.some((l) => l.kind === "hook" && !inNorm(l.range.start))) return true;
  for (const m of c.text.matchAll(/def\s+(_load_from_state_dict|load_state_dict)\s*\(/g)) if (!inNorm(m.index!)) return true;
  return false;
}

/** Parameter names that loading code writes or maps explicitly (`norm1.scale = assign(...)`, `"ln_1.g": "norm1.scale"`). */
function mappedNames(code: CodeModule[]): Set<string> {
  const out = new Set<string>();
  const last = (s: string) => s.split(/[.[\]"']/).filter(Boolean).pop();
  for (const c of code) {
    for (const l of c.module.loading) {
      if (l.kind === "load_state_dict" || l.kind === "hook") continue;
      for (const t of l.targets) out.add(t);
      for (const s of [l.from, l.to]) {
        const t = s && last(s);
        if (t) out.add(t);
      }
    }
  }
  return out;
}

/**
 * The key renames the code applies, as one function over checkpoint keys: `.replace(a, b)` exactly
 * as Python does it, `re.sub` patterns, rename maps at segment boundaries (with torchtune's `{}`
 * layer placeholders), and transformers' legacy `LayerNorm.gamma`/`beta` rename when the code is a
 * transformers model.
 */
function renamer(code: CodeModule[]): (key: string) => string {
  const steps: Array<(k: string) => string> = [];
  for (const c of code) {
    for (const l of c.module.loading) {
      if ((l.kind !== "rename-map" && l.kind !== "rename-call") || l.from === undefined || l.to === undefined) continue;
      const from = l.from;
      const to = l.to;
      if (from.length < 2 || !/[A-Za-z]/.test(from)) continue;
      const text = c.text.slice(l.range.start, l.range.end);
      if (l.kind === "rename-call" && /\.replace\s*\(/.test(text)) {
        steps.push((k) => k.split(from).join(to));
      } else if (l.kind === "rename-call") {
        try {
          const re = new RegExp(from, "g");
          const repl = to.replace(/\$/g, "$$$$").replace(/\\(\d)/g, "$$$1");
          steps.push((k) => k.replace(re, repl));
        } catch {
          // A Python-only regex construct: that rename is not simulated.
        }
      } else {
        const holes = from.split(/\{\w*\}/);
        let n = 0;
        const repl = to.replace(/\$/g, "$$$$").replace(/\{\w*\}/g, () => `$${++n + 1}`);
        const re = new RegExp(`(^|\\.)${holes.map(esc).join("(\\d+)")}(?=$|\\.)`);
        steps.push((k) => k.replace(re, `$1${repl}`));
      }
    }
  }
  const transformers = code.some((c) => /\bPreTrainedModel\b/.test(c.text) || [...c.module.imports.values()].some((v) => /^transformers(\.|$)/.test(v)));
  if (transformers) steps.push((k) => k.replace(/LayerNorm\.gamma$/, "LayerNorm.weight").replace(/LayerNorm\.beta$/, "LayerNorm.bias"));
  return (k) => steps.reduce((acc, f) => f(acc), k);
}

/** "`a`, `b`, `c` and 47 more", in natural order (layer 2 before layer 10). */
function examples(list: string[]): string {
  const sorted = [...list].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const shown = sorted.slice(0, 3).map((k) => `\`${k}\``).join(", ");
  return sorted.length > 3 ? `${shown} and ${sorted.length - 3} more` : shown;
}
