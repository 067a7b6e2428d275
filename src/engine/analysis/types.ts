// What the static analysis of a Python module records about normalization layers. Everything here
// is plain data with offsets into the module text, so rules (and later cross-file checks such as a
// checkpoint rule) read it without touching the syntax tree.
import type { Family, NormClass, NormClassAlt } from "../knowledge/index";
import type { PyNode } from "../parsers/python";
import type { DeclaredConventions } from "./declared-types";

export interface Range {
  start: number;
  end: number;
}

/** How a family was found for a file or a class. */
export type FamilyVia =
  | "option" // the caller said so (--model-type, a config.json beside the file)
  | "comment" // `# normlint: model_type=...` (or the harness's `# normlint-test: model_type=...`)
  | "config-json" // the model config.json that governs the file's folder
  | "import" // imports from `transformers.models.<family>` (one family only)
  | "class-name" // the class is named exactly as one of the family's norm classes
  | "class-prefix" // the class name starts with the family's config-class prefix (Gemma2RMSNorm)
  | "config-class" // `config_class = Gemma2Config`, or `from .configuration_gemma2 import ...`
  | "file-name" // modeling_gemma2.py, modular_gemma2.py, models/gemma2/...
  | "built-by"; // a generic norm class takes the family of the model classes that build it (GemmaDecoderLayer)

export interface FamilyRef {
  family: Family;
  via: FamilyVia;
  /** Where the evidence is (the comment, the attribute), when it is in the text. */
  at?: Range;
}

/** The facts a norm implementation is checked against, from the knowledge base. */
export interface NormFacts {
  family: Family;
  via: FamilyVia;
  /** The knowledge base's record of this very class (or slot), when there is one. */
  cls?: NormClass;
  kind: "rms" | "layer" | "other";
  offset: boolean;
  init: "ones" | "zeros" | "none";
  cast: Family["cast"];
  /** Other paths the family's modeling file takes for this norm (a fast kernel beside the eager class). */
  alt?: NormClassAlt[];
  bias: boolean;
  /** With via "built-by": the class (and file, when another) whose family the norm takes. */
  builtBy?: string;
  /** The default eps the family's config gives this norm, when the knowledge base pins one value. */
  epsDefault?: number;
  epsKeys: string[];
}

export type Dtype = "input" | "fp32" | "unknown";

export interface EpsSource {
  kind: "literal" | "config" | "param" | "attr" | "default" | "unknown";
  value?: number;
  /** `config.rms_norm_eps` -> "rms_norm_eps". */
  key?: string;
  range?: Range;
}

export interface NormParam {
  name: string;
  storage: "parameter" | "buffer" | "inherited";
  init: "ones" | "zeros" | "other" | "none";
  /** The `self.x = nn.Parameter(...)` statement (or the register call). */
  range: Range;
  /** The target name (`self.scale`'s `scale`). */
  nameRange: Range;
  /** Created only on some path (`... if bias else None`, under an `if`): the key may be absent. */
  conditional?: boolean;
  /** Set from a tensor a load path reads (`get_tensor(...)` in a `load()` classmethod), not created in `__init__`. */
  loaded?: boolean;
  /** `_init_weights` sets it again (`elif isinstance(module, XNorm): init.zeros_(module.weight)`): `init` is that value. */
  reinit?: Range;
}

export interface ScaleInfo {
  param: string;
  /** `1 + w`, `w + 1.0`, `self.weight + 1` passed to F.layer_norm... */
  offset: boolean;
  /** The weight operand as written (`self.weight`, `(1.0 + self.weight.float())`). */
  operand: Range;
  /** The `self.weight` attribute inside it. */
  weightRef: Range;
  /** The `1 + w` node, when offset. */
  offsetExpr?: Range;
  /** The weight side of the `1 + w` node: what the offset's removal leaves. */
  weightSide?: Range;
  /** The weight was in fp32 when the 1 was added (`1.0 + self.weight.float()`). */
  offsetInFp32?: boolean;
  /** The multiplication (or functional call) that applies the scale. */
  expr: Range;
  /** Dtype of the normalized activations at the moment they were scaled. */
  activationDtype: Dtype;
  /** The activations had been cast back from fp32 before the scale. */
  afterCastBack: boolean;
  /** Where the activations were cast back (for messages). */
  castBackAt?: Range;
  /** The scale comes from a parent class or library call we cannot rewrite. */
  implicit?: boolean;
  /** How the weight operand can be rewritten: an expression, or an argument of F.layer_norm. */
  rewrite: "expr" | "functional" | "none";
}

export interface NormCompute {
  kind: "rms" | "layer" | "l2";
  /** How the statistics are computed. */
  via: "explicit" | "functional" | "parent" | "submodule";
  /** The `x - mean` node (LayerNorm). */
  centering?: Range;
  /** The statistics (`x.pow(2).mean(...)`, the F.layer_norm call). */
  stats: Range;
  statsDtype: Dtype;
  /** The tensor expression squared in the statistics (for the upcast fix). */
  statsBase?: Range;
  /** The rsqrt/sqrt call applying the statistics (for the upcast fix). */
  rsqrt?: Range;
  upcast?: Range;
  castBack?: Range;
  scale?: ScaleInfo;
  bias?: string;
  eps?: EpsSource;
  /** A gate multiplies the output (RMSNormGated). */
  gated?: boolean;
}

export interface NormImpl {
  name: string;
  nameRange: Range;
  range: Range;
  bases: string[];
  /** The class subclasses a torch norm (nn.LayerNorm...), so weight/bias come from the parent. */
  torchBase?: "rms" | "layer";
  params: NormParam[];
  /** eps parameter default of __init__, and the attribute names that hold eps. */
  epsParam?: { name: string; default?: EpsSource };
  epsInInit?: EpsSource;
  compute?: NormCompute;
  /** Defines `_load_from_state_dict` or registers a load hook: it renames its own keys. */
  loadHook: boolean;
  /**
   * The class's own load path adds 1 to the loaded weight (`weights.get_tensor(...) + 1` in a
   * `load()` classmethod, text-generation-inference's Gemma norms): the runtime's `x * w` then
   * computes `x * (1 + w_checkpoint)`. The `+ 1` expression.
   */
  loadOffset?: Range;
  /**
   * The other paths of a custom op (`forward_cuda`, `forward_hip`, ...: vLLM, SGLang) that hand the
   * weight to a kernel: whether the kernel scales by `1 + w` (a Gemma kernel, or `weight + 1` passed)
   * or by `w`. The reference path (`forward`/`forward_native`) is `compute`.
   */
  kernelPaths?: Array<{ method: string; kernel: string; offset: boolean; at: Range }>;
  /**
   * A dict of the module maps a key to this class beside norm classes of another kind (MPT's
   * `NORM_CLASS_REGISTRY = {"layernorm": ..., "rmsnorm": RMSNorm}`): the config picks one, so a
   * file's family does not tell which kind this class must be. The dict.
   */
  registry?: Range;
  /**
   * An op implementation: the forward scales by a `weight` argument, not a weight of its own
   * (lmdeploy's `DefaultRMSNormImpl`, behind the `RMSNorm` module that hands it `self.weight`).
   */
  opImpl?: true;
  facts?: NormFacts;
  /** @internal */
  node: PyNode;
}

/** A module-level function computing a norm of the module handed to it as `self`. */
export interface NormFunction {
  name: string;
  /** What it scales by when called with every default (the path `normCalls` that pass no more take). */
  offset: boolean;
  /** Its parameters without a default (`self` and the activations): a call passing more leaves the default path. */
  required: number;
  kind: "rms" | "layer";
  at: Range;
}

/** A norm built in place: nn.LayerNorm(...), nn.RMSNorm(...), a local norm class, F.layer_norm(...). */
export interface NormUse {
  callee: string;
  /** "torch" for nn.LayerNorm/nn.RMSNorm/F.*, "local" for a class of this module. */
  origin: "torch" | "local";
  kind: "rms" | "layer" | "other";
  functional: boolean;
  range: Range;
  calleeRange: Range;
  /** `self.input_layernorm = ...` -> "input_layernorm". */
  slot?: string;
  /** The class whose method builds it. */
  owner?: string;
  eps: EpsSource;
  /** elementwise_affine=False or weight=None: no parameters. */
  affine: boolean;
  /** For functional calls: the weight argument. */
  scale?: ScaleInfo;
  /** Inside a norm class's own forward (already covered by the class's analysis). */
  insideNorm: boolean;
  facts?: NormFacts;
  /** Where the facts come from: the slot's knowledge-base class, the family's torch norm entry, the family's main norm, or the local class. */
  factsVia?: "slot" | "torch-entry" | "family" | "local";
}

/** `modeling_gemma.GemmaRMSNorm = X`, `setattr(modeling_gemma, "GemmaRMSNorm", partial(X, offset=1.0))`. */
export interface NormPatch {
  /** Dotted module path as resolved through the imports (`transformers.models.gemma.modeling_gemma`). */
  module: string;
  modelType?: string;
  family?: Family;
  target: string;
  targetRange: Range;
  value: Range;
  /** What the bound implementation does, when known. */
  impl?: { name: string; offset?: boolean; kind?: "rms" | "layer"; source: "local" | "external"; offsetKwarg?: Range; partial?: PyNode };
  /** @internal */
  valueNode: PyNode;
}

export interface WeightLoading {
  /** `read`: a call that reads a checkpoint or pretrained weights (torch.load, safetensors, from_pretrained...). */
  kind: "load_state_dict" | "rename-map" | "rename-call" | "assign" | "hook" | "read";
  range: Range;
  /** Key fragments read and written, as far as they are literal: "ln_1.g" -> "norm1.scale". */
  from?: string;
  to?: string;
  /** Parameter names this code writes into (`.scale` in `x.norm1.scale = assign(...)`). */
  targets: string[];
}

/**
 * `self.<slot> = <Class>(...)` in a class's methods (also `self.<slot>.append(...)`): how modules
 * nest, so a cross-file check can tell which checkpoint keys a norm's parameters load from.
 */
export interface Submodule {
  /** The class whose method assigns it. */
  owner: string;
  slot: string;
  /** The class built: a bare name as written (`LayerNorm`, a local or imported class), or a dotted path resolved through the imports (`torch.nn.LayerNorm`). */
  callee: string;
  /** The constructor call. */
  range: Range;
  /** Built inside a container (nn.ModuleList, nn.Sequential, a list): its keys gain one segment (`layers.0.`). */
  indexed: boolean;
  /** Built through a class chosen into a local name under this condition (`A if config.x else B`). */
  when?: string;
}

export interface Suppression {
  kind: "ignore" | "file-ignore";
  selectors: string[];
  /** Each selector's span inside the comment. */
  selectorRanges: Range[];
  reason?: string;
  comment: Range;
  /** The `normlint: ...` directive inside the comment (what a fix removes when others remain). */
  directive: Range;
  /** 1-based line the suppression covers (ignore only). */
  line: number;
  /** The comment is the only thing on its line. */
  standalone: boolean;
}

export interface ModuleAnalysis {
  path: string;
  text: string;
  fileFamily?: FamilyRef;
  norms: NormImpl[];
  uses: NormUse[];
  patches: NormPatch[];
  loading: WeightLoading[];
  submodules: Submodule[];
  suppressions: Suppression[];
  syntaxErrors: Array<Range & { missing: boolean }>;
  /** Import aliases: local name -> dotted path. */
  imports: Map<string, string>;
  /** Conventions the module declares for families (flags, kernel arguments, weight conversions). */
  declared?: DeclaredConventions;
  /**
   * Fields declared by the module's own config classes (a `@dataclass` or a class named `...Config`,
   * `...Args`, `...Params`: `norm_eps: float = 1e-5`): keys of a config the module defines itself,
   * not of the Hugging Face family's config.
   */
  configFields: Set<string>;
  /** `module.weight += 1` on the modules an `isinstance` test picks out as an offset family's norm class. */
  instanceShifts?: InstanceShift[];
  /** Module-level norm functions taking the norm module as `self` (what they scale by). */
  normFunctions?: NormFunction[];
  /** Calls of imported norm functions on one of the module's own offset-family norms. */
  normCalls?: NormCall[];
  /** Decoder norms a conversion copies without the `+ 1` it adds to the family's other decoder norms. */
  plainCopies?: PlainCopy[];
  /** Parts the analysis failed on (a class, or one pass over the module), contained so the rest is checked. */
  failures?: Array<{ part: string; message: string; range: Range }>;
}

export interface InstanceShift {
  /** The shift (`module.weight += 1.0`). */
  range: Range;
  /** The class the `isinstance` test picks out, and its family. */
  cls: string;
  modelType: string;
  /** Where the module says its kernels add 1 for that family (`gemma = True`), when it does. */
  kernelAt?: Range;
  kernel?: string;
  /** The argument as it reads (`gemma=True`). */
  kernelArg?: string;
  /**
   * The module installs another forward on the class (`GemmaRMSNorm.forward = fn`): the shift is
   * right when that forward scales by the plain weight, and the patch rules judge it with the shift.
   */
  patched?: boolean;
}

export interface PlainCopy {
  /** The copied tensor expression (`base_model.layers[l].input_layernorm.weight.float()`). */
  range: Range;
  /** Its norm slot (`input_layernorm`), and a slot the same function shifts, with where. */
  slot: string;
  shifted: string;
  shiftedAt: Range;
  fn: string;
  modelType: string;
}

export interface NormCall {
  callee: string;
  /** The module it is imported from (`.llama`), or the modules `*`-imported when it is not named. */
  from: string[];
  /** The norm module handed to it (`self.model.norm`) and its slot (`norm`). */
  arg: string;
  slot: string;
  modelType: string;
  range: Range;
  /** Arguments passed by position, and whether any is passed by keyword. */
  argc: number;
  keywords: boolean;
}
