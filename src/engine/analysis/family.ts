// Which family a file, a norm class or a norm slot serves, and the knowledge-base facts it is held
// to. Every fact comes from knowledge/; nothing here names a family.
import { allFamilies, family, familyForConfigClass, type Family, type NormClass } from "../knowledge/index";
import type { FamilyRef, FamilyVia, NormFacts } from "./types";

interface Index {
  /** Config-class prefix ("Gemma2" from Gemma2Config) -> model type, longest first. */
  prefixes: Array<[string, string]>;
  /** Exact norm class name -> families whose modeling code defines it. */
  classes: Map<string, string[]>;
}

let index: Index | undefined;

function getIndex(): Index {
  if (index) return index;
  const prefixes = new Map<string, string>();
  const classes = new Map<string, string[]>();
  for (const f of allFamilies()) {
    const p = f.config.replace(/Config$/, "");
    // Several model types can share a config class (LlamaConfig): the one named like it wins.
    const named = f.modelType.replace(/[-_]/g, "") === p.toLowerCase();
    if (p && (!prefixes.has(p) || named)) prefixes.set(p, f.modelType);
    for (const c of f.classes ?? []) {
      if (!/^[A-Z]/.test(c.name)) continue;
      const list = classes.get(c.name) ?? [];
      if (!list.includes(f.modelType)) list.push(f.modelType);
      classes.set(c.name, list);
    }
  }
  index = { prefixes: [...prefixes].sort((a, b) => b[0].length - a[0].length), classes };
  return index;
}

/** A model type as written in a file name or directory (`xlm_roberta`), matched to a known family. */
export function familyByLooseName(name: string): Family | undefined {
  return family(name) ?? family(name.replace(/_/g, "-")) ?? family(name.toLowerCase());
}

/** The family a modeling file's name implies: modeling_gemma2.py, modular_gemma2.py, models/gemma2/x.py, models/gemma2.py. */
export function familyFromPath(path: string): Family | undefined {
  const parts = path.split(/[\\/]/);
  const base = parts[parts.length - 1] ?? "";
  const m = /^(?:modeling|modular)_(.+?)\.(?:py|ipynb)$/.exec(base);
  if (m) {
    const f = familyByLooseName(m[1]);
    if (f) return f;
  }
  // text-generation-inference's ports: `custom_modeling/flash_gemma2_modeling.py`, `t5_modeling.py`.
  const tgi = /^(?:flash_)?(.+?)_modeling\.py$/.exec(base);
  if (tgi && parts[parts.length - 2] === "custom_modeling") {
    const f = familyByLooseName(tgi[1]);
    if (f) return f;
  }
  const models = parts.lastIndexOf("models");
  if (models >= 0 && models + 2 < parts.length) return familyByLooseName(parts[models + 1]);
  // One module per model type directly under `models/`, named for it: mlx-lm and mlx-vlm
  // (`mlx_lm/models/gemma2.py`, imported as `mlx_lm.models.{model_type}` by mlx_lm/utils.py
  // `_get_classes`), vLLM and SGLang (`model_executor/models/gemma2.py`), lmdeploy.
  const stem = /^(.+)\.py$/.exec(base)?.[1];
  if (models >= 0 && models + 2 === parts.length && stem) return familyByLooseName(stem);
  return undefined;
}

export function familyFromConfigClass(name: string): Family | undefined {
  return familyForConfigClass(name);
}

/** Families whose knowledge-base norm classes include this exact class name. */
export function familiesDefiningClass(name: string): string[] {
  return getIndex().classes.get(name) ?? [];
}

/** Class name -> prefix family (null: none); a scan of every prefix per class was a hot spot. */
const byPrefixMemo = new Map<string, Family | null>();

/**
 * Words that may follow a family's prefix in a class name and still name that family's own module
 * (Gemma3TextRMSNorm, Qwen2VLVisionBlock, LlamaDecoderLayer). Any other word makes it another
 * model: Phi3SmallRMSNorm is Phi-3-small (remote code), not phi3; LlamaEmbedNemotron... is not llama.
 */
const STRUCTURAL_WORDS = new Set(
  ("Text Vision Visual Audio Speech Image Video Language Decoder Encoder Model Pre Post For Attention Attn Self Cross " +
    "MLP Mlp Moe MoE Sparse Dense Expert Experts Layer Layers Block Blocks Embeddings Embedding Rotary Head Heads Output " +
    "Input Final Shared Patch Pooler Projector Multi Q K V Kv KV Gated Residual Conv Feed Ffn FFN Norm RMS Rms Layernorm " +
    "Group L2 Backbone Transformer Causal Lm LM Main Hybrid Linear Pretrained PreTrained Mixer Intermediate Scaled Gate " +
    "Thinker Talker Code Sequence Token Prediction Mtp MTP Next Up Down Sinusoidal Position Positional Segment Global Local Fast Fused").split(" "),
);

/** The norm suffix of a class name (RMSNorm, LayerNorm, RMSNormGated, L2Norm, LayerNorm1P...). */
const NORM_SUFFIX = /(RMS|Rms|Layer|Group|Batch|L2|Instance)?Norm(alization)?[A-Za-z0-9]*$/;

/** Does the rest of a class name after a family prefix keep it that family's (see STRUCTURAL_WORDS)? */
function structuralRest(rest: string): boolean {
  const head = rest.replace(NORM_SUFFIX, "");
  const words = head.match(/[A-Z]+(?![a-z])|[A-Z][a-z0-9]*|[a-z0-9]+/g) ?? [];
  // A norm class may name any sub-module on the way to its suffix; another class names its role
  // first (LlamaDecoderLayer): only the first word is checked there.
  const checked = head.length < rest.length ? words : words.slice(0, 1);
  return checked.every((w) => STRUCTURAL_WORDS.has(w) || /^\d+$/.test(w));
}

/**
 * The family whose config-class prefix starts this class name at a word boundary, longest first,
 * when the rest of the name keeps it that family's own class (see STRUCTURAL_WORDS). This is the
 * only way a class name alone is evidence of a family: a generic name (`LayerNorm`, `RMSNorm`,
 * `Norm`, `LayerNorm2d`) has no family prefix and names none.
 */
export function familyByClassPrefix(name: string): Family | undefined {
  const known = byPrefixMemo.get(name);
  if (known !== undefined) return known ?? undefined;
  let found: Family | undefined;
  for (const [p, t] of getIndex().prefixes) {
    if (!name.startsWith(p) || name.length === p.length) continue;
    const next = name[p.length];
    // Gemma2RMSNorm matches Gemma2, not Gemma; Qwen2_5_Omni... is not Qwen2.
    if (/[A-Z]/.test(next)) {
      if (structuralRest(name.slice(p.length))) found = family(t);
      break;
    }
  }
  // Bounded: a long-lived extension host sees many files.
  if (byPrefixMemo.size >= 20_000) byPrefixMemo.clear();
  byPrefixMemo.set(name, found ?? null);
  return found;
}

/** A class name that names one family by itself (its prefix), as opposed to a generic `LayerNorm`. */
export function isFamilySpecific(name: string): boolean {
  return familyByClassPrefix(name) !== undefined;
}

/**
 * The family a class serves: an explicit file family first (the user said so), then a
 * family-specific class name (a knowledge-base class, else the prefix), then what the file and its
 * project say about themselves. A generic class name is never evidence on its own.
 */
export function familyForClass(name: string | undefined, file: FamilyRef | undefined): FamilyRef | undefined {
  if (file && (file.via === "option" || file.via === "comment")) return file;
  const byPrefix = name ? familyByClassPrefix(name) : undefined;
  if (name && byPrefix) {
    const exact = familiesDefiningClass(name);
    if (exact.length) {
      const pick = file && exact.includes(file.family.modelType) ? file.family.modelType : (exact.find((t) => byPrefix.modelType === t) ?? exact[0]);
      const f = family(pick);
      if (f) return { family: f, via: "class-name" };
    }
    // A prefix naming the file's own family or one of its sub-configs agrees with the file; any
    // other prefix wins (a vision class inside a composite model's file).
    if (file && (byPrefix.modelType === file.family.modelType || Object.values(file.family.sub ?? {}).includes(byPrefix.modelType))) return file.family.modelType === byPrefix.modelType ? file : { family: byPrefix, via: "class-prefix" };
    return { family: byPrefix, via: "class-prefix" };
  }
  return file;
}

/** How a family was identified, for messages and hovers ("the config.json beside it"). */
export const VIA_LABEL: Record<FamilyVia, string> = {
  option: "the model type given to normlint",
  comment: "a `# normlint: model_type=` comment",
  "config-json": "the config.json governing its folder",
  import: "its imports from transformers.models",
  "class-name": "the class name",
  "class-prefix": "the class name's prefix",
  "config-class": "the config class it uses",
  "file-name": "the file name",
  "built-by": "the model class that builds it",
};

type Kind = "rms" | "layer" | "other";

export function classKind(c: NormClass): Kind {
  return c.kind === "rms" || c.kind === "rms-gated" ? "rms" : c.kind === "layer" ? "layer" : "other";
}

function familyKind(f: Family): Kind {
  return f.norm === "rms" ? "rms" : f.norm === "layer" ? "layer" : "other";
}

/** The default eps of a knowledge-base class: its config key's default, or a literal it hard-codes. */
function epsOf(f: Family, keys: string[]): number | undefined {
  const values = new Set<number>();
  for (const k of keys) {
    if (/^-?\d/.test(k)) values.add(Number(k));
    else if (k in f.eps && typeof f.eps[k] === "number") values.add(f.eps[k] as number);
    else return undefined; // "None", "self.eps", "text_config.rms_norm_eps": not pinned here
  }
  if (values.size === 0 && f.epsFixed !== undefined) values.add(f.epsFixed);
  return values.size === 1 ? [...values][0] : undefined;
}

function familyEps(f: Family): { value?: number; keys: string[] } {
  if (f.epsFixed !== undefined) return { value: f.epsFixed, keys: [] };
  const keys = Object.keys(f.eps);
  const values = new Set(Object.values(f.eps).filter((v): v is number => typeof v === "number"));
  return { value: values.size === 1 && keys.length > 0 ? [...values][0] : undefined, keys };
}

export function factsFromClass(f: Family, via: FamilyVia, c: NormClass): NormFacts {
  return {
    family: f,
    via,
    cls: c,
    kind: classKind(c),
    offset: c.offset,
    init: c.init,
    cast: c.cast,
    ...(c.alt ? { alt: c.alt } : {}),
    bias: c.bias,
    epsDefault: epsOf(f, c.eps),
    epsKeys: c.eps.filter((k) => /^[a-z_.]+$/.test(k) && k !== "None"),
  };
}

export function factsFromFamily(f: Family, via: FamilyVia): NormFacts | undefined {
  if (f.norm !== "rms" && f.norm !== "layer") return undefined;
  const eps = familyEps(f);
  return { family: f, via, kind: familyKind(f), offset: f.offset, init: f.init, cast: f.cast, bias: f.bias, epsDefault: eps.value, epsKeys: eps.keys };
}

const same = (a: NormFacts, b: NormFacts) => a.offset === b.offset && a.init === b.init && a.cast === b.cast && a.kind === b.kind;

/**
 * Facts for an implementation of kind `kind` in family `ref`: its own knowledge-base record when
 * the class is named there; otherwise the family's classes of the same kind when they agree
 * (`gated` prefers the gated variants); otherwise the family's main norm.
 */
export function factsFor(ref: FamilyRef, className: string | undefined, kind: Kind | undefined, gated = false): NormFacts | undefined {
  const f = ref.family;
  const classes = f.classes ?? [];
  const own = className ? classes.find((c) => c.name === className) : undefined;
  if (own) return factsFromClass(f, ref.via, own);
  if (className && isFamilySpecific(className) && familiesDefiningClass(className).length && ref.via !== "option" && ref.via !== "comment") {
    // Named after another family's class but attributed here: that family's record applies.
    const other = family(familiesDefiningClass(className)[0]);
    const rec = other?.classes?.find((c) => c.name === className);
    if (other && rec) return factsFromClass(other, "class-name", rec);
  }
  if (kind && kind !== "other" && classes.length) {
    let pool = classes.filter((c) => classKind(c) === kind);
    const gatedPool = pool.filter((c) => c.kind === "rms-gated");
    if (gatedPool.length && gated) pool = gatedPool;
    else if (gatedPool.length < pool.length) pool = pool.filter((c) => c.kind !== "rms-gated");
    const facts = pool.map((c) => factsFromClass(f, ref.via, c));
    if (facts.length && facts.every((x) => same(x, facts[0]))) {
      // The alternative paths every class of the pool can take (one class: its own).
      const alt = pool[0].alt?.filter((a) => pool.every((c) => c.alt?.some((b) => b.cast === a.cast && b.offset === a.offset)));
      return { ...facts[0], cls: undefined, alt: alt?.length ? alt : undefined };
    }
    if (facts.length) return undefined; // the family has several conventions of this kind: no single answer
  }
  return factsFromFamily(f, ref.via);
}

/** The knowledge-base class filling a slot (`input_layernorm`) in this family, when exactly one does. */
export function classForSlot(f: Family, slot: string): NormClass | undefined {
  const hits = (f.classes ?? []).filter((c) => c.at.some((p) => lastSegment(p) === slot));
  return hits.length === 1 ? hits[0] : undefined;
}

function lastSegment(path: string): string {
  const parts = path.split(".").filter((p) => p !== "{N}");
  return parts[parts.length - 1] ?? "";
}

/** Does the family have any knowledge-base class of this kind? */
export function familyHasKind(f: Family, kind: Kind): boolean {
  const classes = f.classes ?? [];
  if (!classes.length) return familyKind(f) === kind;
  return classes.some((c) => classKind(c) === kind);
}
