// The record format of a knowledge-base extraction: what normlint's own Python analysis reads out of
// one transformers release, per model type. Every fact carries `src`, a citation `path:line` relative to
// the transformers package folder (`src/transformers/` in the repository) at the version in the meta.
// schemas/kb-extraction.schema.json describes the same format; the extraction script validates against it.
import type { ClassKind, Cast, JsonScalar } from "../index";

/** `models/llama/modeling_llama.py:52`: a file of the pinned release and a 1-based line. */
export type Cite = string;

export interface ExtractionMeta {
  /** `transformers`, or `remote-code` for modeling files published with checkpoints on the Hub. */
  package: "transformers" | "remote-code";
  version: string;
  /** Remote code: the repository and commit the files were read at, and their folder in it. */
  repo?: string;
  commit?: string;
  root?: string;
  /** The pin: a wheel has no git commit, so the version and the wheel's sha256 identify the sources. */
  wheel?: string;
  sha256?: string;
  citations: string;
  modelTypes: number;
}

export interface ExtractedValue {
  default: JsonScalar;
  src: Cite;
}

/** One norm class (or torch norm) the model builds, with what its code computes. */
export interface ExtractedClass {
  /** The class name, or `nn.LayerNorm` / `nn.RMSNorm` for torch's own. */
  name: string;
  kind: ClassKind;
  offset: boolean;
  bias: boolean;
  init: "ones" | "zeros" | "none" | "other";
  cast: Cast;
  /** Parameter (and buffer) names the class owns. */
  params: string[];
  /** The scale parameter when it is not `weight`. */
  scale?: string;
  /** Config keys the eps comes from at its constructions, or the literal as a string ("1e-06"). */
  eps: string[];
  /** With more than one eps: the eps each path is built with. */
  epsAt?: Record<string, string>;
  /** Module paths from the architecture root (`model.layers.{N}.input_layernorm`). */
  at: string[];
  /** The class definition (or, for torch norms, the first construction). */
  src: Cite;
  /** Lines of the statistics, the upcast, the cast back and the scale, where the code has them. */
  lines?: { stats?: Cite; upcast?: Cite; castBack?: Cite; scale?: Cite };
  /** The forward can be swapped for a hub kernel (`@use_kernel_forward_from_hub("RMSNormGated")`). */
  kernel?: { name: string; layers: string[]; src: Cite; registry?: Cite };
  /** Defined in another model's module (imported), analysed there. */
  from?: string;
}

/** One module path that can hold different norms: a config switch, a fast kernel import, no norm. */
export interface ExtractedChoice {
  at: string;
  /** `byDefault`: whether the condition holds for the config's default values (when it can be told). */
  options: Array<{ name: string; when?: string; byDefault?: boolean; src: Cite }>;
}

export interface ExtractedFamily {
  modelType: string;
  /** The folder under models/ (SPECIAL_MODEL_TYPE_TO_MODULE_NAME or the model type itself). */
  module: string;
  config?: { class: string; src: Cite };
  eps: Record<string, ExtractedValue>;
  normKeys: Record<string, ExtractedValue>;
  /** Entries of attribute_map that name an eps or norm key. */
  attributeMap?: Record<string, string>;
  /** Sub-configs; an AutoConfig one (modelType null) with the model type it defaults to. */
  sub?: Record<string, { class: string; modelType: string | null; src: Cite; default?: { modelType: string; src: Cite } }>;
  /** The config builds this sub-config from the top-level keys when the file has no object for it. */
  flatSub?: { key: string; src: Cite };
  arch: Record<string, Cite>;
  /** The class the module paths start from. */
  root?: string;
  classes: ExtractedClass[];
  choices?: ExtractedChoice[];
  /** What could not be read, in words (no modeling file, config class not found...). */
  gaps?: string[];
}

export interface Extraction {
  meta: ExtractionMeta;
  families: ExtractedFamily[];
}
