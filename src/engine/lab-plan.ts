// Plans the Norm Lab's comparison from a model folder: the declared convention from the knowledge
// base and config.json, the alternative, eps, and the norm tensors read with ranged reads. Kept
// apart from lab.ts so the webview, which receives plans, does not bundle the knowledge base.
import type { ModuleAnalysis, NormCompute } from "./analysis/types";
import type { ModelFolder } from "./folder-model";
import type { ByteSource } from "./io";
import { describeNorm } from "./knowledge/index";
import { expectedCentre } from "./knowledge/layouts";
import { alternativeVariant, declaredVariant, type LabOptions, type LabPlan } from "./lab";
import { castOrderOf, NORM_VARIANTS, type NormVariant } from "./numerics/norms";
import { readGgufTensor } from "./parsers/gguf";
import { DECODED_DTYPES, readSafetensorsHeader, readTensor } from "./parsers/safetensors";

function epsOf(folder: ModelFolder): number {
  const f = folder.family;
  // A GGUF file without a config.json carries eps in its metadata ({arch}.attention.layer_norm_rms_epsilon).
  const gguf = folder.config ? undefined : ggufEps(folder);
  if (gguf !== undefined) return gguf;
  for (const [key, def] of Object.entries(f?.eps ?? {})) {
    const v = folder.textConfig[key];
    if (typeof v === "number" && v >= 0) return v;
    if (typeof def === "number") return def;
  }
  return f?.epsFixed ?? 1e-6;
}

function ggufEps(folder: ModelFolder): number | undefined {
  for (const c of folder.checkpoints) {
    for (const [key, kv] of c.gguf?.metadata ?? []) {
      if (/\.attention\.layer_norm(_rms)?_epsilon$/.test(key) && typeof kv.value === "number" && kv.value >= 0) return kv.value;
    }
  }
  return undefined;
}

/** The named variant a norm class's forward computes, or undefined when the kernels model none. */
export function computeVariant(c: NormCompute): NormVariant | undefined {
  if (c.gated) return undefined;
  if (c.kind === "rms") return c.scale ? (c.scale.offset ? "rmsnorm-offset" : "rmsnorm") : undefined;
  if (c.kind === "layer") {
    if (!c.scale) return c.bias ? undefined : "layernorm-noweight";
    if (c.scale.offset) return c.bias ? "layernorm1p" : undefined;
    return c.bias ? "layernorm" : "layernorm-nobias";
  }
  return undefined;
}

export interface Implemented {
  variant: NormVariant;
  /** "GemmaRMSNorm in modeling_gemma.py". */
  where: string;
}

/**
 * The convention the folder's modeling code implements: the norm classes whose forward the
 * analysis read, preferring those of the declared kind (RMS or Layer), since a model's other norm
 * classes (a vision tower's LayerNorm) are not the one its checkpoint's main norms go through.
 * Classes of that kind that disagree leave it undecided, with a note.
 */
export function implementedVariant(modules: ModuleAnalysis[], declared: NormVariant | undefined, notes: string[]): Implemented | undefined {
  const found: Implemented[] = [];
  for (const m of modules) {
    const file = m.path.split(/[\\/]/).pop() ?? m.path;
    for (const n of m.norms) {
      const v = n.compute && computeVariant(n.compute);
      if (v) found.push({ variant: v, where: `${n.name} in ${file}` });
    }
  }
  if (!found.length) return undefined;
  const center = declared ? NORM_VARIANTS[declared].center : undefined;
  const same = found.filter((f) => NORM_VARIANTS[f.variant].center === center);
  const pool = same.length ? same : found;
  const kinds = [...new Set(pool.map((f) => f.variant))];
  if (kinds.length > 1) {
    notes.push(`the modeling code's norm classes compute different conventions (${pool.map((f) => `${f.where}: ${f.variant}`).join("; ")}), so the implemented one is not compared`);
    return undefined;
  }
  return pool[0];
}

/**
 * The comparison to run over `tensors` (norm weights and, for LayerNorms, their `.bias`), read by
 * the caller from the folder's checkpoints. Tensors that are not 1-D are left out with a note.
 * `modules` are the analyses of the folder's modeling code (*.py): the convention they implement
 * joins the declared one and the alternative.
 */
export function planComparison(folder: ModelFolder, tensors: Array<{ name: string; data: Float32Array }>, opts: LabOptions = {}, modules: ModuleAnalysis[] = []): LabPlan {
  const fam = folder.family;
  const notes: string[] = [];
  const family = declaredVariant(fam);
  // A converter that adds the +1 (llama.cpp for GGUF, mlx-lm's sanitize() for Qwen3-Next) leaves a
  // runtime computing x * w: that is the declared convention in that layout, and adding the 1 again
  // the mistake (NL303 reads every layout the same way).
  const layout = folder.layout;
  const folded = !!fam?.offset && layout.format !== "hf" && expectedCentre(fam, layout.format, "trunk").centre === 1;
  const declared = family && folded ? foldedVariant(family) : family;
  const rows = opts.rows ?? 8;
  const seed = opts.seed ?? 0;
  const scale = opts.scale ?? 1;
  const cast = (fam && castOrderOf(fam.cast)) ?? "gemma";
  const familyOffset = !!fam?.offset && !folded;
  const trunk = folder.normGroups.find((g) => g.group === "trunk")?.centre.centre;
  const enc = trunk === 2 && fam?.offset ? "double" : folder.offset?.encoding ?? "unknown";
  const plan: LabPlan = {
    dir: folder.dir,
    family: fam?.modelType,
    declaredText: fam ? (folded ? `${describeNorm(fam)}; ${layout.format === "gguf" ? "GGUF stores 1 + w, so llama.cpp computes x * w" : `${layout.format.toUpperCase()} stores 1 + w, so its runtime computes x * w`}` : describeNorm(fam)) : "unknown family",
    precision: { dtype: opts.dtype ?? "f32", cast },
    eps: epsOf(folder),
    rows,
    seed,
    scale,
    familyOffset,
    layout: layout.label,
    stored: enc,
    storedReason: folder.offset?.reason ?? "no norm tensors were read",
    tensors: [],
    notes,
  };
  if (!fam) notes.push("config.json names no model family normlint knows, so there is no declared convention to compare");
  else if (!declared) notes.push(`${fam.modelType}'s main norm (${describeNorm(fam)}) is not one the kernels compute`);
  if (!declared) return plan;
  const alt = family && declared !== family ? { variant: family, label: "with the +1 added again (x * (1 + w))" } : alternativeVariant(declared);
  const impl = implementedVariant(modules, declared, notes);
  if (impl) plan.implementedText = impl.where;
  const biases = new Map(tensors.filter((t) => t.name.endsWith(".bias")).map((t) => [t.name.slice(0, -".bias".length), t.data]));
  for (const t of tensors) {
    if (!t.name.endsWith(".weight")) continue;
    const hidden = t.data.length;
    if (hidden < 1) {
      notes.push(`${t.name} is empty`);
      continue;
    }
    const bias = biases.get(t.name.slice(0, -".weight".length));
    const needsBias = NORM_VARIANTS[declared].bias || NORM_VARIANTS[alt.variant].bias || (!!impl && NORM_VARIANTS[impl.variant].bias);
    if (needsBias && bias && bias.length !== hidden) {
      notes.push(`${t.name}: its bias has ${bias.length} values, not ${hidden}`);
      continue;
    }
    plan.tensors.push({
      name: t.name,
      hidden,
      weight: t.data,
      // A LayerNorm whose checkpoint has no bias tensor adds zeros.
      bias: needsBias ? bias ?? new Float32Array(hidden) : undefined,
      declared,
      alternative: alt.variant,
      alternativeLabel: alt.label,
      ...(impl ? { implemented: impl.variant } : {}),
    });
  }
  if (!plan.tensors.length) notes.push("no norm weight tensors to compare");
  return plan;
}

/** What a folding GGUF converter leaves to compute: the offset variant without its +1. */
function foldedVariant(v: NormVariant): NormVariant {
  return v === "rmsnorm-offset" ? "rmsnorm" : v === "layernorm1p" ? "layernorm" : v;
}

/** A tensor that can stand in for activations: rows of a norm's hidden size. */
export interface ActivationCandidate {
  file: string;
  tensor: string;
  shape: number[];
  dtype: string;
}

/**
 * The safetensors tensors of the folder whose last dimension is one of the norms' hidden sizes and
 * that are not norm tensors themselves: an activation dump placed beside the checkpoint, or the
 * embedding matrix, whose rows are what the first layer's norm really sees. At most `limit`,
 * activation-like names (hidden, act, input) first, then embeddings, then the rest by name.
 */
export function activationCandidates(folder: ModelFolder, hiddenSizes: Iterable<number>, limit = 200): ActivationCandidate[] {
  const sizes = new Set(hiddenSizes);
  const norms = new Set(folder.normTensors.map((t) => t.name));
  const out: ActivationCandidate[] = [];
  for (const c of folder.checkpoints) {
    for (const t of c.safetensors?.tensors ?? []) {
      const last = t.shape[t.shape.length - 1];
      if (!sizes.has(last) || norms.has(t.name) || !(DECODED_DTYPES as readonly string[]).includes(t.dtype)) continue;
      if (t.shape.length < 2 && !/hidden|act|input/i.test(t.name)) continue;
      out.push({ file: c.path, tensor: t.name, shape: t.shape, dtype: t.dtype });
    }
  }
  const rank = (c: ActivationCandidate) => (/hidden|activation|acts?\b|input/i.test(c.tensor) ? 0 : /embed|wte|tok_emb/i.test(c.tensor) ? 1 : 2);
  return out.sort((a, b) => rank(a) - rank(b) || (a.tensor < b.tensor ? -1 : a.tensor > b.tensor ? 1 : 0)).slice(0, limit);
}

/**
 * The leading `rows` rows of a tensor of a safetensors file, to stand in for activations (one
 * ranged read of just those rows), or why they cannot be read.
 */
export async function readActivationRows(src: ByteSource, tensor: string, rows: number): Promise<{ data: Float32Array; shape: number[] } | { error: string }> {
  const h = await readSafetensorsHeader(src);
  if (!h.ok) return { error: `not a valid safetensors file: ${h.problems[0]?.message ?? "invalid header"}` };
  const r = await readTensor(src, h.header, tensor, { firstRows: rows });
  return r.ok ? { data: r.data, shape: r.shape } : { error: r.message };
}

/**
 * Reads the norm tensors `readModelFolder` found (ranged reads of each tensor's bytes), with their
 * `.bias` tensors when the checkpoint has them, from safetensors or GGUF files. `sourceOf` maps a
 * checkpoint path to its bytes.
 */
export async function readLabTensors(folder: ModelFolder, sourceOf: (file: string) => ByteSource | undefined): Promise<{ tensors: Array<{ name: string; data: Float32Array }>; problems: string[] }> {
  const tensors: Array<{ name: string; data: Float32Array }> = [];
  const problems: string[] = [];
  for (const t of folder.normTensors) {
    const c = folder.checkpoints.find((k) => k.path === t.file);
    const src = sourceOf(t.file);
    const st = c?.safetensors;
    const gg = c?.gguf;
    if ((!st && !gg) || !src) {
      problems.push(`${t.name}: ${t.file} is not a readable checkpoint`);
      continue;
    }
    const names = [t.name];
    if (t.name.endsWith(".weight")) {
      const b = `${t.name.slice(0, -".weight".length)}.bias`;
      if ((st?.tensors ?? gg?.tensors ?? []).some((x) => x.name === b)) names.push(b);
    }
    for (const name of names) {
      const r = st ? await readTensor(src, st, name) : await readGgufTensor(src, gg!, name);
      if (r.ok) tensors.push({ name, data: r.data });
      else problems.push(`${name}: ${r.message}`);
    }
  }
  return { tensors, problems };
}

