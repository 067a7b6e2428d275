// Typed access to the model-family knowledge base (families.json, built by scripts/kb/build-knowledge.mjs).
// Rules ask these functions for facts; no rule hard-codes a family.
import data from "./families.json";

export type NormKind = "rms" | "layer" | "none" | "other";
export type ClassKind = "rms" | "rms-gated" | "layer" | "l2" | "batch" | "group" | "other";
export type Cast = "llama" | "gemma" | "fp32" | "t5" | "torch" | "none" | "other";
export type JsonScalar = boolean | number | string | null;

export interface NormClass {
  name: string;
  kind: ClassKind;
  offset: boolean;
  bias: boolean;
  init: "ones" | "zeros" | "none";
  cast: Cast;
  eps: string[];
  at: string[];
  /** With more than one eps: the eps each path is built with (MLA's latent norms keep the class default). */
  epsAt?: Record<string, string>;
  /** The scale parameter's name, in the module and in its checkpoints, when it is not `weight`. */
  scale?: string;
  /**
   * The other paths the modeling file can take for this norm (a fast kernel when it is installed,
   * beside the eager class): code that matches one of them is not wrong.
   */
  alt?: NormClassAlt[];
}

export interface NormClassAlt {
  name: string;
  kind?: ClassKind;
  cast?: Cast;
  offset?: boolean;
  src?: string;
}

/** The cast orders a norm may take: its class's own, then those of the class's alternative paths. */
export function acceptedCasts(primary: Cast, alt: readonly NormClassAlt[] | undefined): Cast[] {
  return [primary, ...(alt ?? []).flatMap((a) => (a.cast ? [a.cast] : []))];
}

export interface Family {
  modelType: string;
  config: string;
  norm: NormKind;
  bias: boolean;
  offset: boolean;
  init: "ones" | "zeros" | "none";
  cast: Cast;
  /** Eps keys the config class reads, with their defaults. */
  eps: Record<string, number | null>;
  normKeys?: Record<string, JsonScalar>;
  epsFixed?: number;
  sub?: Record<string, string | null>;
  /** When the file has no object under this key, the config class builds it from the top-level keys. */
  flatSub?: string;
  /** How llama.cpp's converter stores this family's norms in GGUF: with the +1 folded in or not. */
  gguf?: { foldsOffset: boolean; except?: string[] };
  arch?: string[];
  /**
   * Per-layer norms the model does not build on some layers, by module path (`at`): layer indices
   * (ModernBERT's layer 0 has an nn.Identity attn_norm), or a config key whose value is the number
   * of leading layers without it (MoE-only norms below `first_k_dense_replace`).
   */
  absent?: Record<string, number[] | string>;
  classes?: NormClass[];
  tensors?: string[];
  notes?: string[];
  src: string[];
  via: string;
}

type RawFamily = Omit<Family, "modelType">;
const raw = (data as unknown as { families: Record<string, RawFamily> }).families;

export const knowledgeMeta = (data as unknown as { _meta: Record<string, unknown> })._meta;

const families = new Map<string, Family>();
/**
 * The records without prototypes, all the way down: rules look up config keys and Python names in
 * them (`key in fam.eps`), and a config key `constructor` or `toString` must not be found there.
 */
function bare<T>(v: T): T {
  if (Array.isArray(v)) return v.map(bare) as T;
  if (v === null || typeof v !== "object") return v;
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, x] of Object.entries(v)) out[k] = bare(x);
  return out as T;
}
for (const [modelType, rec] of Object.entries(raw)) families.set(modelType, bare({ modelType, ...rec }));

const byArchitecture = new Map<string, string[]>();
const byConfigClass = new Map<string, string>();
for (const f of families.values()) {
  byConfigClass.set(f.config, f.modelType);
  for (const a of f.arch ?? []) {
    const list = byArchitecture.get(a) ?? [];
    list.push(f.modelType);
    byArchitecture.set(a, list);
  }
}

/** Every eps key some family reads, so a key foreign to one family is still recognised as an eps key. */
const epsKeys = new Set<string>();
for (const f of families.values()) for (const k of Object.keys(f.eps)) epsKeys.add(k);

export function family(modelType: string): Family | undefined {
  return families.get(modelType);
}

export function allFamilies(): Iterable<Family> {
  return families.values();
}

export function modelTypes(): string[] {
  return [...families.keys()];
}

/** Model types whose auto mappings list this architecture class. */
export function familiesForArchitecture(arch: string): string[] {
  return byArchitecture.get(arch) ?? [];
}

export function familyForConfigClass(cls: string): Family | undefined {
  const t = byConfigClass.get(cls);
  return t === undefined ? undefined : families.get(t);
}

export function isKnownEpsKey(key: string): boolean {
  return epsKeys.has(key);
}

export function knownEpsKeys(): string[] {
  return [...epsKeys].sort();
}

/**
 * Checkpoint tensor names of a family's norms: each module path plus its scale (`.weight`, or the
 * class's own name for it, Zaya's `.temp`) and, with a bias, `.bias`.
 */
export function normTensors(f: Pick<Family, "tensors" | "classes">): string[] {
  if (f.tensors) return f.tensors;
  const out: string[] = [];
  for (const c of f.classes ?? []) {
    for (const at of c.at) {
      if (c.init !== "none") out.push(`${at}.${c.scale ?? "weight"}`);
      if (c.bias) out.push(`${at}.bias`);
    }
  }
  return out;
}

/** A short human description of the main norm: "RMSNorm, x * (1 + weight), no bias". */
export function describeNorm(f: Family): string {
  const kind = { rms: "RMSNorm", layer: "LayerNorm", none: "no norm parameters", other: "other norm" }[f.norm];
  if (f.norm === "none") return kind;
  const parts = [kind];
  if (f.init === "none") parts.push("no weight");
  else parts.push(f.offset ? "x * (1 + weight)" : "x * weight");
  parts.push(f.bias ? "with bias" : "no bias");
  return parts.join(", ");
}
