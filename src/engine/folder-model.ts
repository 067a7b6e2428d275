// What a model folder is once read: config.json, checkpoint headers, the norm tensors read for
// statistics, and the folder's modeling code; plus the helpers folder rules share to find norm
// tensors. Rules import this module, never folder.ts (the reader and lint entry, which imports the
// registry), so a rule file loads on its own.
import type { ModuleAnalysis } from "./analysis/types";
import type { ConfigFile, ConfigScope } from "./config-model";
import type { Family, NormClass } from "./knowledge/index";
import type { LayoutFormat, ModuleGroup } from "./knowledge/layouts";
import type { GgufHeader, GgufProblem } from "./parsers/gguf";
import type { SafetensorsHeader, SafetensorsProblem } from "./parsers/safetensors";
import type { ShardIndexResult } from "./parsers/safetensors-index";
import type { ParamsJson } from "./params-json";
import type { CentreClassification, OffsetClassification, TensorStats } from "./weights/norm-stats";

export interface CodeModule {
  path: string;
  text: string;
  module: ModuleAnalysis;
}

export interface CheckpointFile {
  path: string;
  kind: "safetensors" | "gguf";
  problems: Array<SafetensorsProblem | GgufProblem>;
  safetensors?: SafetensorsHeader;
  gguf?: GgufHeader;
}

/** A norm tensor as read: where it came from, its shape, and its statistics. */
export interface NormTensor {
  name: string;
  file: string;
  shape: number[];
  stats: TensorStats;
}

export interface ModelFolder {
  dir: string;
  configPath?: string;
  configText: string;
  config: ConfigFile | null;
  /** The family the checkpoint's main norms follow (the text model of a composite). */
  family?: Family;
  /** Where to anchor model-wide findings: the config's `model_type` value, else the file start. */
  anchor: { file: string; range: { start: number; end: number } };
  /** Config values of the text model (hidden_size, num_attention_heads...). */
  textConfig: Record<string, unknown>;
  /** The config object those values come from (the root, or `text_config`). */
  textScope?: ConfigScope;
  /** The folder's modeling code. */
  code: CodeModule[];
  checkpoints: CheckpointFile[];
  /** Every tensor name -> shape, across shards and files. */
  tensorShapes: Map<string, { shape: number[]; file: string }>;
  index?: { path: string; text: string; result: ShardIndexResult };
  /** Meta's params.json beside config.json. */
  params?: ParamsJson;
  pickles: string[];
  /** Main-norm weight tensors that were read (capped), and the classification over them. */
  normTensors: NormTensor[];
  offset?: OffsetClassification;
  /** The storage layout of the checkpoint the norm statistics come from, and how it was recognised. */
  layout: DetectedLayout;
  /** The norm tensors read, by module group (trunk, mtp, vision, gated), each with its centre. */
  normGroups: NormGroup[];
  /** GGUF files store llama.cpp's convention: true when the main norm tensors came from one. */
  fromGguf: boolean;
  normBytesCapped: boolean;
}

export interface DetectedLayout {
  format: LayoutFormat;
  /** "GGUF (general.architecture=gemma3)", "MLX (safetensors metadata format=mlx)". */
  label: string;
  /**
   * True when a marker says so; false when the layout is the default guess (Hugging Face naming
   * with no marker of another format), which an unquantized MLX conversion also looks like.
   */
  marked: boolean;
}

/** A group of a checkpoint's norm tensors (trunk, MTP head, vision tower, gated norms) and where they sit. */
export interface NormGroup {
  group: ModuleGroup;
  tensors: NormTensor[];
  centre: CentreClassification;
}

/** The name of a norm class's scale in checkpoints: `weight`, unless the knowledge base says otherwise. */
export function scaleParam(c: NormClass): string {
  return c.scale ?? "weight";
}

/**
 * Tensor names longer than this are skipped by the name patterns: real ones are far shorter, and a
 * hostile header must not make every pattern scan megabytes of name.
 */
export const MAX_TENSOR_NAME = 512;

/** A norm's checkpoint-name pattern; `exec` groups: 1 the prefix boundary, 2.. each `{N}` index. */
export interface NormPathPattern {
  test(name: string): boolean;
  exec(name: string): RegExpExecArray | null;
}

/**
 * Module paths ("model.layers.{N}.input_layernorm") as tensor-name patterns tolerant of prefixes.
 * Every `{N}` is an index (`layers.{N}.blocks.{N}.layernorm_before`, StableLM's
 * `q_layernorm.norms.{N}`); group 2 is the first, the layer's.
 */
export function normPathRegex(at: string, param: string): NormPathPattern {
  const i = at.indexOf("layers.{N}.");
  const tail = i >= 0 ? at.slice(i) : at.split(".").slice(-1)[0];
  const body = tail.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replaceAll("\\{N\\}", "(\\d+)");
  const re = new RegExp(`(^|\\.)${body}\\.${param}$`);
  return {
    test: (name) => name.length <= MAX_TENSOR_NAME && re.test(name),
    exec: (name) => (name.length <= MAX_TENSOR_NAME ? re.exec(name) : null),
  };
}

/** The classes of a family that implement its main norm (same kind and offset), with their paths. */
export function mainNormClasses(f: Family) {
  return (f.classes ?? []).filter((c) => c.offset === f.offset && (c.kind === "rms" || c.kind === "layer") && c.init !== "none");
}

/** A config value as a positive integer, if it is one. */
export function intValue(values: Record<string, unknown>, key: string): number | undefined {
  const v = values[key];
  return typeof v === "number" && Number.isInteger(v) && v > 0 ? v : undefined;
}
