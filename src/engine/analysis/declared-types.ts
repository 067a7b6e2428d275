// What a module *declares* about norm conventions, as opposed to what its own norms compute:
// config flags (`cfg.rmsnorm_uses_offset = True`), keyword arguments that bind a kernel to a family
// (`partial(LigerRMSNorm, offset=1.0, casting_mode="gemma")`), and weight conversions that fold or
// unfold the unit offset (`data_torch + 1` in a GGUF converter, `v + 1.0` in an mlx-lm sanitize()).
// Plain data with offsets, like the rest of ModuleAnalysis.
import type { Family } from "../knowledge/index";
import type { Range } from "./types";

/** Which part of the convention a declaration states. */
export type Aspect = "offset" | "kind" | "cast" | "init" | "eps";

/** How the module says which family a declaration or conversion serves, nearest evidence first. */
export type ServesVia =
  | "branch" // inside `if architecture == "Gemma2ForCausalLM":` or `elif cfg.model_config_type == "gemma4":`
  | "decorator" // `@ModelBase.register("Gemma2ForCausalLM")`
  | "table" // a mapping table in the module: `{"gemma": apply_liger_kernel_to_gemma}`
  | "entry" // a config entry's own name: `dict(name="Gemma-2b", hf_config=dict(name="gemma-2b"), ...)`
  | "attribute" // a class attribute: `model_type = "gemma3n"`, `model_arch = gguf.MODEL_ARCH.GEMMA3N`
  | "function" // the enclosing function's name: `apply_liger_kernel_to_gemma3_text`
  | "class" // the enclosing class's name: `Gemma3nArchitectureAdapter`, `LigerRMSNormForOlmo2`
  | "patch" // the modeling module a monkey-patch assigns into: `modeling_gemma2.Gemma2RMSNorm = ...`
  | "file" // the module's own family (an option, a `# normlint: model_type=` comment, modeling_x.py)
  | "path"; // the file or its folder is named for a family: supported_architectures/gemma3n.py

export interface Serves {
  families: Family[];
  via: ServesVia;
  /** The words of the evidence, for messages: "`Gemma3nArchitectureAdapter`", "`\"Gemma2ForCausalLM\"`". */
  detail: string;
  at?: Range;
}

export interface Declaration {
  aspect: Aspect;
  /** The flag or keyword: `rmsnorm_uses_offset`, `normalization_type`, `offset`, `casting_mode`... */
  key: string;
  /** Normalised: offset -> boolean, kind -> "rms" | "layer", cast -> a casting mode, init -> "ones" | "zeros". */
  value: boolean | string | number;
  /** The value as written (`True`, `"RMS"`, `1.0`), or the callee whose default applies. */
  raw: string;
  /** Where a finding goes: the value, or the call whose omitted argument takes its default. */
  range: Range;
  /**
   * attr: `cfg.key = v`; setattr: `setattr(cfg, "key", v)`; dict: `{"key": v}` or `dict(key=v)`;
   * kwarg: `Callee(key=v)`; param: a parameter default `def __init__(self, key=v)`; default: a
   * call that omits the argument, so the callee's default applies; patch: what a monkey-patch binds.
   */
  form: "attr" | "setattr" | "dict" | "kwarg" | "param" | "default" | "patch";
  /** numerics: the value parameterises a norm computation; declared: a flag read elsewhere. */
  effect: "numerics" | "declared";
  /** The norm callable the value goes to (`LigerRMSNorm`, `_patch_rms_norm_module`). */
  callee?: string;
  /** Module path the declaration targets (`decoder_layer.post_attention_layernorm` -> [..., "post_attention_layernorm"]). */
  slotPath?: string[];
  /** For a monkey-patch: the family's class it replaces, and whether what it binds adds 1. */
  patchTarget?: string;
  patchOffset?: boolean;
  /** The call or definition the argument or default belongs to (declarations of one site go together). */
  site?: Range;
  /** The declaration sits inside a monkey-patch's value (the patch rules check its offset). */
  inPatch?: boolean;
  serves?: Serves;
  /** Where the meaning of the key comes from (a library's source file). */
  src: string;
}

/** An adapter that sets no offset flag of its own and so inherits one that contradicts its family. */
export interface InheritedFlag {
  key: string;
  cls: string;
  range: Range;
  /** The base class it inherits from, and what that base (or the flag's default) declares. */
  base?: string;
  baseFamily?: Family;
  value: boolean;
  serves: Serves;
  src: string;
}

/**
 * A test on checkpoint tensor names, kept as data: `name.endswith("norm.weight") and not
 * name.endswith("linear_attn.norm.weight")`. `free` is a condition that does not look at the name
 * (a runtime switch), which holds on some path; `unknown` looks at the name in a way not modelled.
 */
export type Guard =
  | { t: "free" }
  | { t: "unknown" }
  | { t: "and" | "or"; of: Guard[] }
  | { t: "not"; of: Guard }
  | { t: "endswith" | "startswith" | "contains" | "equals"; s: string[] };

/** `data_torch + 1` on norm weights (delta 1 folds the offset in; -1 takes it out). */
export interface OffsetConversion {
  delta: number;
  range: Range;
  /** The tensors it applies to, as a test on names, or the fragments it names (`input_layernorm.weight`). */
  guard: Guard;
  names?: string[];
  /** The class (one per subclass that inherits the code) or function it serves through. */
  unit: string;
  /** A llama.cpp converter class (registered for architectures): its target is GGUF. */
  gguf: boolean;
  serves?: Serves;
  /** The function it is in (`sanitize`, `convert_state_dict`). */
  fn?: string;
  /** Changes the caller's tensor in place (`v += 1` or `v.add_(1)` on a torch tensor it was handed). */
  inPlace?: boolean;
  /**
   * The function checks, before or around the change, that its input is in the source layout (a
   * key or marker only the source layout has, an "already converted" flag, a layout test on another
   * tensor): running it again on its own output would not shift again.
   */
  layoutGuard?: boolean;
  /** The only guard tests for multi-token-prediction keys (`any("mtp." in k ...)`), which converted checkpoints can keep: no layout test. */
  mtpGuard?: Range;
  /** The guard calls a helper of the file (`helper`) whose every return is `True` (`range`: its return): no test. */
  constantGuard?: { range: Range; helper: string };
}

/** A GGUF converter class for an offset family whose chain adds nothing to any norm weight. */
export interface MissingFold {
  cls: string;
  range: Range;
  serves: Serves;
}

/** A load path that reads GGUF weights of an offset family and never takes off the 1 llama.cpp folded in. */
export interface MissingUnfold {
  fn: string;
  range: Range;
  serves: Serves;
}

/** Scales folded into the weight of a norm of an offset family as if it computed `x * w` (AWQ/SmoothQuant style). */
export interface OffsetBlindFold {
  range: Range;
  /** The norm weight as written (`ln.weight`). */
  target: string;
  family: string;
  /** How the family was found (`isinstance(ln, GemmaRMSNorm)`, the function or class name). */
  how: string;
  /**
   * An offset class (`cls`, listed with the tested classes on `listedLine`) that the `isinstance(obj, ...)`
   * tests leave out, so it reaches the plain fold on `foldLine`; `range` is then the test.
   */
  fallThrough?: { cls: string; obj: string; listedLine: number; foldLine: number };
}

/**
 * A plain-norm stand-in registered for offset norm classes (llm-compressor's `CalibrationOffsetNorm`:
 * `@NormCalibrationModule.register("GemmaRMSNorm", alias=[...])`, whose forward is `x * w`): taking
 * over the original's weight without the `1 +`, or handing it back without the `- 1`.
 */
export interface OffsetBlindStandIn {
  range: Range;
  /**
   * "enter": the stand-in's weight built from the original's; "restore": the original's weight set
   * from the stand-in's; "unregistered": `registeredFor` is an offset class of a model line the
   * registry names that it leaves out.
   */
  side: "enter" | "restore" | "unregistered";
  cls: string;
  /** The offset norm class it is registered for, and that class's family. */
  registeredFor: string;
  family: string;
}

export interface DeclaredConventions {
  declarations: Declaration[];
  inherited: InheritedFlag[];
  conversions: OffsetConversion[];
  missingFolds: MissingFold[];
  missingUnfolds?: MissingUnfold[];
  offsetBlindFolds?: OffsetBlindFold[];
  /** Shifts of 2 on an offset family's norm weights (`v + 2.0` in a sanitize()): the 1 added twice. */
  overShifts?: OffsetConversion[];
  offsetBlindStandIns?: OffsetBlindStandIn[];
  /** Triton norm kernels whose body scales by the plain weight row where an offset belongs. */
  kernelOffsetMisses?: KernelOffsetMiss[];
  /** Norm classes whose load-time shift of the weight is not matched where the weight is used or leaves. */
  loadShifts?: LoadShiftIssue[];
}

/**
 * A load path's constant shift of `self.weight` (`by`, in `cls.load`) against another method:
 * `twice` (`1 + self.weight` in a compute path), `export` (the weight handed back still shifted),
 * `unloaded` (an export path subtracts `by`, the load path adds nothing; reported at its end),
 * `everyLoad` (a norm class named for no family whose weight loader adds 1 to every weight).
 */
export interface LoadShiftIssue {
  kind: "twice" | "export" | "unloaded" | "everyLoad";
  range: Range;
  cls: string;
  method: string;
  load: string;
  by: string;
  /** The shift in the load path, or the subtraction in the export path (`unloaded`). */
  otherRange: Range;
}

/**
 * A `* W_row` in a Triton norm kernel: with an offset parameter never read (`unused`), under the
 * branch the offset flag selects (`branch`), or in a kernel named for an offset family (`family`).
 */
export interface KernelOffsetMiss {
  range: Range;
  /** The weight row it multiplies by. */
  operand: Range;
  kernel: string;
  /** "path": one path of an `if <buffer> is None:` scales by the plain weight, the other adds 1 (`param` holds the test). */
  reason: "unused" | "branch" | "family" | "path";
  param?: string;
  family?: string;
}
