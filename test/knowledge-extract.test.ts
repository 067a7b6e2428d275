// The knowledge-base extraction: its building blocks on small Python sources, the committed extraction
// against its schema, families.json as its build and the report in step, and (with the pinned
// transformers wheel fetched into .cache by scripts/kb/fetch-transformers-wheel.sh) that extracting the
// pinned version reproduces the committed extraction and the shipped families.json byte for byte.
// Without the wheel that last part is skipped, and says so.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { lintConfig } from "../src/engine/index";
import { loadPythonWasm } from "../src/node/wasm";
import { familiesJson } from "../src/engine/knowledge/extract/build";
import { compileFamily } from "../src/engine/knowledge/extract/compare";
import { diffExtractions } from "../src/engine/knowledge/extract/diff";
import { type Extraction, extractKnowledge, fromJsonl, type SourceFiles, toJsonl } from "../src/engine/knowledge/extract/index";
import { extractRemote, type RemoteEntry } from "../src/engine/knowledge/extract/remote";
import { extractionReport } from "../src/engine/knowledge/extract/report";
import { createPythonParser, type PythonParser } from "../src/engine/parsers/python";
import { buildCommitted, familiesPath, folderFiles, readNoNorm, remoteTexts, shippedFamilies } from "../scripts/kb/files";

const root = join(__dirname, "..");
const committedPath = join(root, "scripts", "kb", "extracted", "transformers-5.18.0.jsonl");
const committed = readFileSync(committedPath, "utf8");
const pinned = fromJsonl(committed);
const wheelDir = join(root, ".cache", "transformers-wheel", pinned.meta.version);
const source = existsSync(join(wheelDir, "SOURCE.json")) ? JSON.parse(readFileSync(join(wheelDir, "SOURCE.json"), "utf8")) : undefined;
const present = source?.sha256 === pinned.meta.sha256;
if (!present) {
  console.warn(
    `\n*** knowledge-base reproduction SKIPPED: ${source ? `.cache/transformers-wheel/${pinned.meta.version} holds sha256 ${source.sha256}, not the pinned ${pinned.meta.sha256}` : `.cache/transformers-wheel/${pinned.meta.version}/ is absent`}. Run scripts/kb/fetch-transformers-wheel.sh ${pinned.meta.version} to enable it. ***\n`,
  );
}
const overrides = JSON.parse(readFileSync(join(root, "scripts", "kb", "overrides.json"), "utf8"));

let parser: PythonParser;
beforeAll(async () => {
  parser = await createPythonParser(loadPythonWasm([root]));
});

/** An in-memory package folder. */
function memory(files: Record<string, string>): SourceFiles {
  return {
    list: (dir) => [...new Set(Object.keys(files).filter((p) => p.startsWith(`${dir}/`)).map((p) => p.slice(dir.length + 1).split("/")[0]))].sort(),
    read: (p) => files[p],
  };
}

const AUTO = `
CONFIG_MAPPING_NAMES = OrderedDict(
    [
        ("toy", "ToyConfig"),
        ("toy_vl", "ToyVLConfig"),
    ]
)
`;
const MODELING_AUTO = `
MODEL_MAPPING_NAMES = OrderedDict([("toy", "ToyModel"), ("toy_vl", "ToyVLModel")])
MODEL_FOR_CAUSAL_LM_MAPPING_NAMES = OrderedDict([("toy", "ToyForCausalLM")])
`;
const TOY_CONFIG = `
class ToyConfig(PreTrainedConfig):
    model_type = "toy"
    attribute_map = {"layer_norm_eps": "rms_norm_eps"}
    hidden_size: int = 64
    rms_norm_eps: float = 1e-6
    use_qk_norm: bool = False


class ToyVLConfig(PreTrainedConfig):
    model_type = "toy_vl"
    sub_configs = {"text_config": ToyConfig, "vision_config": AutoConfig}
    text_config: dict | None = None
    vision_config: dict | None = None

    def __post_init__(self, **kwargs):
        if self.vision_config is None:
            self.vision_config = CONFIG_MAPPING["toy"]()
        text_kwargs = {key: kwargs.pop(key) for key in text_params if key in kwargs}
        if self.text_config is None:
            self.text_config = self.sub_configs["text_config"](**text_kwargs)
`;
const TOY_MODELING = `
import torch
from torch import nn


@use_kernel_forward_from_hub("RMSNorm")
class ToyRMSNorm(nn.Module):
    def __init__(self, hidden_size, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        input_dtype = hidden_states.dtype
        hidden_states = hidden_states.to(torch.float32)
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        hidden_states = hidden_states * torch.rsqrt(variance + self.variance_epsilon)
        return (hidden_states * (1.0 + self.weight.float())).to(input_dtype)


class ToyAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.q_norm = ToyRMSNorm(config.hidden_size, eps=config.rms_norm_eps) if config.use_qk_norm else None


class ToyDecoderLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.self_attn = ToyAttention(config)
        self.input_layernorm = ToyRMSNorm(config.hidden_size, eps=config.rms_norm_eps)


class ToyModel(ToyPreTrainedModel):
    config: ToyConfig

    def __init__(self, config):
        super().__init__(config)
        self.layers = nn.ModuleList([ToyDecoderLayer(config) for _ in range(config.num_hidden_layers)])
        self.norm = ToyRMSNorm(config.hidden_size, eps=config.rms_norm_eps)


class ToyForCausalLM(ToyPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.model = ToyModel(config)


class ToyVLModel(ToyPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.language_model = AutoModel.from_config(config.text_config)
        self.merger = nn.LayerNorm(config.vision_config.hidden_size, eps=1e-6, bias=False)
`;
const HUB = `
_KERNEL_MAPPING = {
            "RMSNorm": {
                "cuda": {
                    Mode.INFERENCE: LayerRepository(
                        repo_id="kernels-community/rmsnorm",
                        layer_name="RMSNorm",
                    )
                },
            },
}
`;

describe("knowledge-base extraction", () => {
  const toy = () =>
    extractKnowledge(
      memory({
        "models/auto/auto_mappings.py": AUTO,
        "models/auto/modeling_auto.py": MODELING_AUTO,
        "models/toy/configuration_toy.py": TOY_CONFIG,
        "models/toy/modeling_toy.py": TOY_MODELING,
        "integrations/hub_kernels.py": HUB,
      }),
      parser,
      { version: "0.0.0" },
    );

  it("reads config fields with their defaults, attribute_map, sub-configs and flat sub-configs", () => {
    const x = toy();
    const t = x.families.find((f) => f.modelType === "toy")!;
    expect(t.config).toEqual({ class: "ToyConfig", src: "models/toy/configuration_toy.py:2" });
    expect(t.eps).toEqual({ rms_norm_eps: { default: 1e-6, src: "models/toy/configuration_toy.py:6" } });
    expect(t.normKeys.use_qk_norm.default).toBe(false);
    expect(t.attributeMap).toEqual({ layer_norm_eps: "rms_norm_eps" });
    const vl = x.families.find((f) => f.modelType === "toy_vl")!;
    expect(vl.sub?.text_config.modelType).toBe("toy");
    expect(vl.sub?.vision_config).toMatchObject({ class: "AutoConfig", modelType: null, default: { modelType: "toy" } });
    expect(vl.flatSub?.key).toBe("text_config");
  });

  it("derives module paths, facts, alternatives and citations from the modeling file", () => {
    const x = toy();
    const t = x.families.find((f) => f.modelType === "toy")!;
    expect(t.root).toBe("ToyForCausalLM");
    const rms = t.classes.find((c) => c.name === "ToyRMSNorm")!;
    expect(rms).toMatchObject({ kind: "rms", offset: true, init: "zeros", cast: "gemma", bias: false, eps: ["rms_norm_eps"], src: "models/toy/modeling_toy.py:7" });
    expect(rms.at).toEqual(["model.layers.{N}.self_attn.q_norm", "model.layers.{N}.input_layernorm", "model.norm"]);
    expect(rms.kernel).toEqual({ name: "RMSNorm", layers: ["kernels-community/rmsnorm:RMSNorm"], src: "models/toy/modeling_toy.py:6", registry: "integrations/hub_kernels.py:3" });
    expect(t.choices).toEqual([{ at: "model.layers.{N}.self_attn.q_norm", options: [{ name: "ToyRMSNorm", when: "config.use_qk_norm", byDefault: false, src: "models/toy/modeling_toy.py:24" }] }]);
    // A composite follows AutoModel.from_config into its text sub-model.
    const vl = x.families.find((f) => f.modelType === "toy_vl")!;
    expect(vl.classes.map((c) => [c.name, c.at])).toEqual([
      ["ToyRMSNorm", ["language_model.layers.{N}.self_attn.q_norm", "language_model.layers.{N}.input_layernorm", "language_model.norm"]],
      ["nn.LayerNorm(bias=False)", ["merger"]],
    ]);
    expect(vl.classes[1]).toMatchObject({ kind: "layer", bias: false, eps: ["1e-6"], cast: "torch" });
    // An AutoConfig sub-config compiles to the model type it defaults to (`CONFIG_MAPPING["toy"]()`).
    expect(compileFamily(vl)).toMatchObject({ norm: "rms", offset: true, sub: { text_config: "toy", vision_config: "toy" }, flatSub: "text_config" });
  });

  it("follows a layer class chosen into a local name and concatenated layer lists (Chameleon, D-FINE)", () => {
    const modeling = `
import torch
from torch import nn


class ToyRMSNorm(nn.Module):
    def __init__(self, hidden_size, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        variance = hidden_states.pow(2).mean(-1, keepdim=True)
        return self.weight * hidden_states * torch.rsqrt(variance + self.variance_epsilon)


class ToyLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.input_layernorm = ToyRMSNorm(config.hidden_size, eps=config.rms_norm_eps)


class ToySwinLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.q_norm = nn.LayerNorm(config.hidden_size)


class ToyModel(ToyPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        layer_cls = ToyLayer if not config.use_qk_norm else ToySwinLayer
        self.layers = nn.ModuleList([layer_cls(config) for _ in range(2)] + [ToyLayer(config) for _ in range(1)])
`;
    const x = extractKnowledge(
      memory({ "models/auto/auto_mappings.py": AUTO, "models/auto/modeling_auto.py": MODELING_AUTO, "models/toy/configuration_toy.py": TOY_CONFIG, "models/toy/modeling_toy.py": modeling }),
      parser,
      { version: "0.0.0" },
    );
    const t = x.families.find((f) => f.modelType === "toy")!;
    expect(t.classes.map((c) => [c.name, c.at])).toEqual([
      ["ToyRMSNorm", ["layers.{N}.input_layernorm"]],
      ["nn.LayerNorm", ["layers.{N}.q_norm"]],
    ]);
    // The chosen class's condition is its norms' (off for the default use_qk_norm = False); a norm
    // the other branch builds too is unconditional.
    expect(t.choices).toEqual([{ at: "layers.{N}.q_norm", options: [{ name: "nn.LayerNorm", when: "config.use_qk_norm", byDefault: false, src: expect.stringMatching(/modeling_toy\.py:\d+$/) }] }]);
  });

  it("follows load_backbone into the backbone config's default model, and roots a sub-config type at the model its constructor takes", () => {
    const auto = `
CONFIG_MAPPING_NAMES = OrderedDict([("toy", "ToyConfig"), ("toy_depth", "ToyDepthConfig"), ("toy_sub", "ToySubConfig")])
`;
    const config = `${TOY_CONFIG}

class ToyDepthConfig(PreTrainedConfig):
    model_type = "toy_depth"
    sub_configs = {"backbone_config": AutoConfig}
    backbone_config: dict | None = None

    def __post_init__(self, **kwargs):
        self.backbone_config, kwargs = consolidate_backbone_kwargs_to_config(
            backbone_config=self.backbone_config,
            default_config_type="toy",
            **kwargs,
        )


class ToySubConfig(PreTrainedConfig):
    model_type = "toy_sub"
    layer_norm_eps: float = 1e-5
`;
    const modeling = `${TOY_MODELING}

class ToyDepthForDepthEstimation(ToyPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.backbone = load_backbone(config)


class ToySubAttention(nn.Module):
    def __init__(self, config: ToySubConfig):
        super().__init__()
        self.q_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)


class ToySubModel(ToyPreTrainedModel):
    def __init__(self, config: ToySubConfig):
        super().__init__(config)
        self.attn = ToySubAttention(config)
        self.post_layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
`;
    const x = extractKnowledge(
      memory({
        "models/auto/auto_mappings.py": auto,
        "models/auto/modeling_auto.py": `${MODELING_AUTO}\nMODEL_FOR_DEPTH_ESTIMATION_MAPPING_NAMES = OrderedDict([("toy_depth", "ToyDepthForDepthEstimation")])\n`,
        "models/toy/configuration_toy.py": config,
        "models/toy/modeling_toy.py": modeling,
      }),
      parser,
      { version: "0.0.0" },
    );
    const depth = x.families.find((f) => f.modelType === "toy_depth")!;
    expect(depth.sub?.backbone_config).toMatchObject({ class: "AutoConfig", modelType: null, default: { modelType: "toy" } });
    expect(depth.classes.map((c) => [c.name, c.at])).toEqual([["ToyRMSNorm", ["backbone.layers.{N}.self_attn.q_norm", "backbone.layers.{N}.input_layernorm", "backbone.norm"]]]);
    // The model class, not the attention class that takes the same config.
    const sub = x.families.find((f) => f.modelType === "toy_sub")!;
    expect(sub.root).toBe("ToySubModel");
    expect(sub.classes[0].at).toEqual(["attn.q_norm", "post_layernorm"]);
  });

  it("roots an unregistered sub-config type at the class its config is named for, and builds InstanceNorm without parameters unless affine=True", () => {
    const auto = `CONFIG_MAPPING_NAMES = OrderedDict([("toy", "ToyConfig"), ("toy_head", "ToyHeadConfig")])\n`;
    const config = `
class ToyHeadConfig(PreTrainedConfig):
    model_type = "toy_head"
`;
    const modeling = `
import torch
from torch import nn


class ToyHeadBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels)
        self.affine_norm = nn.InstanceNorm2d(channels, affine=True)


class ToyHeadModel(ToyPreTrainedModel):
    def __init__(self, config, add_pooling_layer=True):
        super().__init__(config)
        self.block = ToyHeadBlock(config.hidden_size)
`;
    const x = extractKnowledge(
      memory({
        "models/auto/auto_mappings.py": auto,
        "models/auto/modeling_auto.py": MODELING_AUTO,
        "models/toy/configuration_toy.py": TOY_CONFIG,
        "models/toy/modeling_toy.py": TOY_MODELING,
        "models/toy_head/configuration_toy_head.py": config,
        "models/toy_head/modeling_toy_head.py": modeling,
      }),
      parser,
      { version: "0.0.0" },
    );
    const head = x.families.find((f) => f.modelType === "toy_head")!;
    expect(head.root).toBe("ToyHeadModel");
    expect(head.classes.map((c) => [c.name, c.params, c.bias, c.at])).toEqual([
      ["nn.InstanceNorm2d(affine=False)", [], false, ["block.norm"]],
      ["nn.InstanceNorm2d", ["weight", "bias"], true, ["block.affine_norm"]],
    ]);
  });

  it("roots a sub-config type at the class built with that sub-config's fields passed one by one (IDEFICS's perceiver)", () => {
    const auto = `
CONFIG_MAPPING_NAMES = OrderedDict([("toy_mm", "ToyMMConfig"), ("toy_resampler", "ToyResamplerConfig")])
SPECIAL_MODEL_TYPE_TO_MODULE_NAME = OrderedDict([("toy_resampler", "toy_mm")])
`;
    const config = `
class ToyResamplerConfig(PreTrainedConfig):
    model_type = "toy_resampler"
    depth: int = 2


class ToyMMConfig(PreTrainedConfig):
    model_type = "toy_mm"
    sub_configs = {"resampler_config": ToyResamplerConfig}
    resampler_config: dict | None = None
`;
    const modeling = `
from torch import nn


class ToyUnrelated(nn.Module):
    def __init__(self, depth):
        super().__init__()
        self.norm = nn.LayerNorm(depth)


class ToyResampler(nn.Module):
    def __init__(self, config, depth, width):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])
        self.layer_norm = nn.LayerNorm(width)


class ToyHelper(nn.Module):
    def pick(self, config):
        resampler_config = config.resampler_config
        return resampler_config

    # A parameter named like another function's local is not that local.
    def build(self, resampler_config):
        self.other = ToyUnrelated(resampler_config.depth)


class ToyMMModel(ToyPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        resampler_config = config.resampler_config
        self.resampler = ToyResampler(
            config,
            resampler_config.depth,
            config.hidden_size,
        )
`;
    const x = extractKnowledge(
      memory({
        "models/auto/auto_mappings.py": auto,
        "models/auto/modeling_auto.py": `MODEL_MAPPING_NAMES = OrderedDict([("toy_mm", "ToyMMModel")])\n`,
        "models/toy_mm/configuration_toy_mm.py": config,
        "models/toy_mm/modeling_toy_mm.py": modeling,
      }),
      parser,
      { version: "0.0.0" },
    );
    const sub = x.families.find((f) => f.modelType === "toy_resampler")!;
    expect(sub.root).toBe("ToyResampler");
    expect(sub.gaps).toBeUndefined();
    expect(sub.classes.map((c) => [c.name, c.at])).toEqual([["nn.LayerNorm", ["layer_norm"]]]);
  });

  it("records a subclass of torch's GroupNorm, classes of an if/else block whatever their case, own classes named Auto*, and drops a parameter whose flag is off as built", () => {
    const auto = `CONFIG_MAPPING_NAMES = OrderedDict([("toy", "ToyConfig"), ("toy_head", "ToyHeadConfig")])\n`;
    const config = `
class ToyHeadConfig(PreTrainedConfig):
    model_type = "toy_head"
    use_bias: bool = False
    norm_eps: float = 1e-6
`;
    const modeling = `
import torch
from torch import nn
from ...utils import is_fancy_available


class ToyGroupNormAct(nn.GroupNorm):
    def __init__(self, config, num_channels, eps=1e-5):
        super().__init__(config.num_groups, num_channels, eps=eps)


if is_fancy_available():
    from fancy import RMSNorm as xToyRMSNorm
else:

    class xToyRMSNorm(nn.Module):
        def __init__(self, dim, eps=1e-6, use_bias: bool = False):
            super().__init__()
            self.eps = eps
            self.weight = nn.Parameter(torch.ones(dim))
            if use_bias:
                self.bias = nn.Parameter(torch.zeros(dim))
            else:
                self.bias = None

        def forward(self, x):
            in_dtype = x.dtype
            x = x.float()
            x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
            return x.to(in_dtype) * self.weight

    class xToyBlock(nn.Module):
        def __init__(self, config):
            super().__init__()
            self.norm = xToyRMSNorm(config.hidden_size, eps=config.norm_eps, use_bias=config.use_bias)


class AutoToyEncoder(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.blocks = nn.ModuleList([xToyBlock(config) for _ in range(2)])


class ToyHeadModel(ToyPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.embedder_norm = ToyGroupNormAct(config, 8)
        self.encoder = AutoToyEncoder(config)
`;
    const x = extractKnowledge(
      memory({
        "models/auto/auto_mappings.py": auto,
        "models/auto/modeling_auto.py": MODELING_AUTO,
        "models/toy/configuration_toy.py": TOY_CONFIG,
        "models/toy/modeling_toy.py": TOY_MODELING,
        "models/toy_head/configuration_toy_head.py": config,
        "models/toy_head/modeling_toy_head.py": modeling,
      }),
      parser,
      { version: "0.0.0" },
    );
    const head = x.families.find((f) => f.modelType === "toy_head")!;
    expect(head.classes.map((c) => [c.name, c.kind, c.params, c.bias, c.eps, c.at])).toEqual([
      ["ToyGroupNormAct", "group", ["weight", "bias"], true, ["1e-05"], ["embedder_norm"]],
      ["xToyRMSNorm", "rms", ["weight"], false, ["norm_eps"], ["encoder.blocks.{N}.norm"]],
    ]);
  });

  it("takes no default backbone type when the config names a default_backbone (a timm or Hub backbone)", () => {
    const config = `${TOY_CONFIG}

class ToyDepthConfig(PreTrainedConfig):
    model_type = "toy_depth"
    sub_configs = {"backbone_config": AutoConfig}

    def __post_init__(self, **kwargs):
        self.backbone_config, kwargs = consolidate_backbone_kwargs_to_config(
            backbone_config=self.backbone_config,
            default_backbone="resnet50",
            default_config_type="toy",
            **kwargs,
        )
`;
    const x = extractKnowledge(
      memory({ "models/auto/auto_mappings.py": `CONFIG_MAPPING_NAMES = OrderedDict([("toy", "ToyConfig"), ("toy_depth", "ToyDepthConfig")])\n`, "models/auto/modeling_auto.py": MODELING_AUTO, "models/toy/configuration_toy.py": config, "models/toy/modeling_toy.py": TOY_MODELING }),
      parser,
      { version: "0.0.0" },
    );
    expect(x.families.find((f) => f.modelType === "toy_depth")!.sub?.backbone_config.default).toBeUndefined();
  });

  it("binds a norm's bias and eps to what its wrapper class is built with (StableLM's per-head LayerNorms)", () => {
    const modeling = `
import torch
from torch import nn


class ToyLayerNormPerHead(nn.Module):
    def __init__(self, dim, num_heads, eps=1e-5, bias=False):
        super().__init__()
        self.norms = nn.ModuleList([nn.LayerNorm(dim, eps=eps, bias=bias) for _ in range(num_heads)])


class ToyAttention(nn.Module):
    def __init__(self, config, norm_eps):
        super().__init__()
        self.q_layernorm = ToyLayerNormPerHead(config.head_dim, config.num_heads, eps=config.rms_norm_eps)
        self.k_layernorm = ToyLayerNormPerHead(config.head_dim, config.num_heads, norm_eps, True)


class ToyLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.self_attn = ToyAttention(config, 1e-3)
        self.input_layernorm = nn.LayerNorm(config.hidden_size, eps=config.rms_norm_eps)


class ToyModel(ToyPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.layers = nn.ModuleList([ToyLayer(config) for _ in range(2)])
`;
    const x = extractKnowledge(
      memory({ "models/auto/auto_mappings.py": AUTO, "models/auto/modeling_auto.py": MODELING_AUTO, "models/toy/configuration_toy.py": TOY_CONFIG, "models/toy/modeling_toy.py": modeling }),
      parser,
      { version: "0.0.0" },
    );
    const t = x.families.find((f) => f.modelType === "toy")!;
    // q: bias by the wrapper's default (False), eps passed by keyword; k: both positional, the eps
    // through the attention's own parameter.
    expect(t.classes.map((c) => [c.name, c.bias, c.at, c.eps])).toEqual([
      ["nn.LayerNorm(bias=False)", false, ["layers.{N}.self_attn.q_layernorm.norms.{N}"], ["rms_norm_eps"]],
      ["nn.LayerNorm", true, ["layers.{N}.self_attn.k_layernorm.norms.{N}", "layers.{N}.input_layernorm"], ["0.001", "rms_norm_eps"]],
    ]);
  });

  it("is deterministic", () => {
    expect(toJsonl(toy())).toBe(toJsonl(toy()));
  });

  it("reports renamed keys and changed conventions between two extractions", () => {
    const a = toy();
    const b = structuredClone(a);
    const t = b.families.find((f) => f.modelType === "toy")!;
    t.eps = { norm_eps: { ...t.eps.rms_norm_eps } };
    t.classes[0].offset = false;
    b.families = b.families.filter((f) => f.modelType !== "toy_vl");
    const d = diffExtractions(a, b);
    expect(d.removed).toEqual(["toy_vl"]);
    expect(d.renamed).toEqual([{ modelType: "toy", from: "rms_norm_eps", to: "norm_eps", why: expect.stringContaining("same default") }]);
    expect(d.changed[0].changes).toEqual(expect.arrayContaining(["offset: true -> false", "ToyRMSNorm.offset: true -> false"]));
  });
});

describe("the committed extraction (scripts/kb/extracted/)", () => {
  it("matches schemas/kb-extraction.schema.json and pins the wheel", () => {
    const schema = JSON.parse(readFileSync(join(root, "schemas", "kb-extraction.schema.json"), "utf8"));
    const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema);
    expect(validate(pinned), JSON.stringify(validate.errors?.slice(0, 5))).toBe(true);
    expect(pinned.meta.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(pinned.families.length).toBe(pinned.meta.modelTypes);
  });

  it("records both paths of Qwen3.5's gated norm: the eager cast-first class and the FLA kernel that multiplies in fp32", () => {
    for (const t of ["qwen3_5_text", "qwen3_5_moe_text", "qwen3_next"]) {
      const f = pinned.families.find((x) => x.modelType === t)!;
      const gated = f.classes.find((c) => c.kind === "rms-gated")!;
      expect(gated.cast, t).toBe("llama");
      expect(gated.kernel?.layers, t).toContain("kernels-community/fla:FusedRMSNormGated");
      const compiled = compileFamily(f, overrides._external).classes.find((c) => c.kind === "rms-gated")!;
      expect(compiled.alt, t).toEqual([expect.objectContaining({ name: "kernels-community/fla:FusedRMSNormGated", cast: "fp32" })]);
    }
  });

  it("builds into the shipped families.json byte for byte (kb:build is not stale)", () => {
    const { built } = buildCommitted(root);
    expect(familiesJson(built) === readFileSync(familiesPath(root), "utf8"), "src/engine/knowledge/families.json is stale: run npm run kb:build").toBe(true);
  });

  it("keeps its report in step: the built records compared with the shipped ones, every override disagreement listed", () => {
    const { extractions, built } = buildCommitted(root);
    const report = extractionReport(extractions[0], built, shippedFamilies(root), overrides, readNoNorm(root));
    expect(report.markdown).toBe(readFileSync(join(root, "scripts", "kb", "extracted", `report-${pinned.meta.version}.md`), "utf8"));
    for (const d of built.disagreements) expect(report.markdown).toContain(d);
  });

  it("lists in scripts/kb/no-norm.json only types the extraction finds without a norm, and counts them apart from extraction gaps", () => {
    const noNorm = readNoNorm(root);
    for (const [t, e] of Object.entries(noNorm.types)) {
      const f = pinned.families.find((x) => x.modelType === t);
      expect(f, `${t} is not a model type of transformers ${pinned.meta.version}`).toBeDefined();
      expect(f!.classes, `${t} has a norm in the extraction`).toEqual([]);
      expect(e.src).toMatch(/^models\/\w+\/\w+\.py:\d+$/);
    }
    const { extractions, built } = buildCommitted(root);
    const report = extractionReport(extractions[0], built, shippedFamilies(root), overrides, noNorm);
    const n = Object.keys(noNorm.types).length;
    const without = pinned.families.filter((f) => !f.classes.length).length;
    expect(report.summary).toContain(`extracted types without any norm reached: ${without} (${n} build no norm of their own`);
    expect(report.summary).toContain(`${without - n} extraction gaps)`);
    // A listed type that has a norm is stale, and the report says so.
    const stale = extractionReport(extractions[0], built, shippedFamilies(root), overrides, { types: { ...noNorm.types, llama: { reason: "x", src: "models/llama/modeling_llama.py:1", line: "" } } });
    expect(stale.summary).toContain("stale in no-norm.json: llama");
  });

  it("reports a built record that differs from the shipped one, field by field and class by class", () => {
    const { extractions, built } = buildCommitted(root);
    const shippedRecs = structuredClone(shippedFamilies(root));
    shippedRecs.llama.cast = "fp32";
    shippedRecs.llama.classes![0].offset = true;
    delete shippedRecs.gemma;
    const report = extractionReport(extractions[0], built, shippedRecs, overrides);
    expect(report.counts).toEqual({ cast: 1, "class.offset": 1 });
    expect(report.markdown).toContain("- `cast`: shipped \"fp32\", built \"llama\"");
    expect(report.markdown).toMatch(/## Model types built but not shipped\n\n`gemma`\n/);
  });
});

describe.skipIf(!present)(`extracting transformers ${pinned.meta.version} (the pinned wheel)`, () => {
  let fresh: Extraction;
  it("reproduces the committed extraction byte for byte", () => {
    const files = folderFiles(join(wheelDir, "transformers"));
    const t0 = performance.now();
    fresh = extractKnowledge(files, parser, { version: source.version, wheel: source.wheel, sha256: source.sha256 });
    console.log(`extracted ${fresh.families.length} model types of transformers ${source.version} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(toJsonl(fresh) === committed, "scripts/kb/extracted/ is stale: run npm run kb:extract -- .cache/transformers-wheel/5.18.0/transformers").toBe(true);
  }, 600_000);

  it("finds each line scripts/kb/no-norm.json cites at its place in the wheel", () => {
    for (const [t, e] of Object.entries(readNoNorm(root).types)) {
      const [file, line] = e.src.split(":");
      const text = readFileSync(join(wheelDir, "transformers", file), "utf8").split("\n")[Number(line) - 1] ?? "";
      expect(text, `${t}: ${e.src}`).toContain(e.line);
    }
  });

  it("reproduces the shipped families.json when built with the committed remote-code extractions and the overrides", () => {
    expect(fresh, "the extraction above did not run").toBeDefined();
    const { built } = buildCommitted(root, { [`transformers-${pinned.meta.version}.jsonl`]: fresh });
    expect(familiesJson(built) === readFileSync(familiesPath(root), "utf8"), "the extraction of the pinned wheel does not build into families.json: run npm run kb:extract, then npm run kb:build").toBe(true);
  });
});

// Remote-code families (scripts/kb/remote.json): each committed remote-<type>.jsonl is reproduced from the
// files scripts/kb/fetch-remote.sh puts in .cache/remote/<type>/ at the pinned commit; skipped loudly without them.
const remote: RemoteEntry[] = JSON.parse(readFileSync(join(root, "scripts", "kb", "remote.json"), "utf8")).families;
for (const e of remote) {
  const dir = join(root, ".cache", "remote", e.modelType);
  const src = existsSync(join(dir, "SOURCE.json")) ? JSON.parse(readFileSync(join(dir, "SOURCE.json"), "utf8")) : undefined;
  const here = src?.commit === e.commit && src?.modelingCommit === e.modelingFrom?.commit;
  if (!here) console.warn(`\n*** remote-code extraction of ${e.modelType} SKIPPED: .cache/remote/${e.modelType}/ is absent or at another commit. Run scripts/kb/fetch-remote.sh to enable it. ***\n`);
  describe.skipIf(!here)(`extracting remote code: ${e.modelType} (${e.repo}@${e.commit.slice(0, 7)})`, () => {
    it("reproduces the committed remote extraction, cited at the repository and commit", () => {
      const x = extractRemote(e, remoteTexts(dir, e), parser);
      expect(toJsonl(x) === readFileSync(join(root, "scripts", "kb", "extracted", `remote-${e.modelType}.jsonl`), "utf8"), "stale: run npm run kb:extract-remote").toBe(true);
      expect(x.families[0].classes.length).toBeGreaterThan(0);
    });
  });
}

describe("remote-code families in the shipped knowledge base", () => {
  it("has facts for every pinned remote model type, cited at its repository and commit", () => {
    const shippedRecs = shippedFamilies(root);
    for (const e of remote) {
      const f = shippedRecs[e.modelType];
      expect(f, e.modelType).toBeDefined();
      expect(f.norm, e.modelType).not.toBe("none");
      // A modeling file read from a port (modelingFrom) is cited in that repository, at its own commit.
      const prefixes = [`${e.repo}@${e.commit}:${e.dir ? `${e.dir}/` : ""}`, ...(e.modelingFrom ? [`${e.modelingFrom.repo}@${e.modelingFrom.commit}:${e.modelingFrom.path}`] : [])];
      expect(f.src?.every((s) => prefixes.some((p) => s.startsWith(p))), e.modelType).toBe(true);
    }
    // Phi-3-small: the config class from the Hub's configuration file, the norms from vLLM's port of it.
    expect(shippedRecs.phi3small, "phi3small").toMatchObject({ config: "Phi3SmallConfig", norm: "layer", bias: true, eps: { layer_norm_epsilon: 1e-5 } });
    expect(shippedRecs.phi3small.classes?.[0].at).toEqual(["model.layers.{N}.input_layernorm", "model.layers.{N}.post_attention_layernorm", "model.final_layernorm"]);
    // Falcon's remote code before transformers' falcon: LayerNorm with a bias, eps from layer_norm_epsilon,
    // cited in its own `modelling_RW.py`; the 7B's post-attention norm exists only without parallel_attn.
    for (const t of ["RefinedWeb", "RefinedWebModel"]) {
      expect(shippedRecs[t], t).toMatchObject({ norm: "layer", bias: true, eps: { layer_norm_epsilon: 1e-5 } });
      expect(shippedRecs[t].src?.some((s) => /modelling_RW\.py:\d+$/.test(s)), t).toBe(true);
    }
    // Qwen v1 and Baichuan 2: RMSNorm without offset, each reading its own eps key.
    expect(shippedRecs.qwen).toMatchObject({ norm: "rms", offset: false, eps: { layer_norm_epsilon: 1e-5 } });
    expect(shippedRecs.baichuan).toMatchObject({ norm: "rms", offset: false, eps: { rms_norm_eps: 1e-6 } });
    // ChatGLM picks RMSNorm or LayerNorm from config.rmsnorm through a local name; the default builds RMSNorm.
    expect(shippedRecs.chatglm).toMatchObject({ norm: "rms", eps: { layernorm_epsilon: 1e-5 }, normKeys: { rmsnorm: true } });
    // InternLM2 (Llama's RMSNorm under attention_norm/ffn_norm), MOSS and StableLM-Epoch (LayerNorm with a
    // bias; MOSS has no second norm per block), InternViT (RMSNorm by default, LayerNorm by norm_type).
    expect(shippedRecs.internlm2).toMatchObject({ norm: "rms", offset: false, eps: { rms_norm_eps: 1e-6 } });
    const at = (t: string) => shippedRecs[t].classes?.flatMap((c) => c.at) ?? [];
    expect(at("internlm2")).toEqual(["model.layers.{N}.attention_norm", "model.layers.{N}.ffn_norm", "model.norm"]);
    expect(shippedRecs.moss).toMatchObject({ norm: "layer", bias: true, eps: { layer_norm_epsilon: 1e-5 } });
    expect(at("moss")).toEqual(["transformer.h.{N}.ln_1", "transformer.ln_f"]);
    expect(shippedRecs.stablelm_epoch).toMatchObject({ norm: "layer", bias: true, eps: { norm_eps: 1e-5 } });
    expect(shippedRecs.intern_vit_6b).toMatchObject({ norm: "rms", eps: { layer_norm_eps: 1e-6 }, normKeys: { norm_type: "rms_norm" } });
    // Multi-file remote code: MiniCPM-V 2's language model (modeling_minicpm.py) and its resampler
    // (resampler.py, LayerNorm through `norm_layer=partial(nn.LayerNorm, eps=1e-6)`, built by
    // `self.init_resampler(...)`); Ultravox's projector norms, a subclass of transformers' LlamaRMSNorm
    // built by `self._create_multi_modal_projector(config)`, ln_mid or ln_post by projector_ln_mid.
    expect(shippedRecs.minicpmv).toMatchObject({ norm: "rms", offset: false, eps: { rms_norm_eps: 1e-6 } });
    expect(at("minicpmv")).toEqual(["llm.model.layers.{N}.input_layernorm", "llm.model.layers.{N}.post_attention_layernorm", "llm.model.norm", "resampler.ln_q", "resampler.ln_kv", "resampler.ln_post"]);
    expect(shippedRecs.minicpmv.src?.some((s) => /:resampler\.py:\d+$/.test(s))).toBe(true);
    expect(shippedRecs.ultravox).toMatchObject({ norm: "rms", offset: false, normKeys: { projector_ln_mid: false } });
    expect(at("ultravox")).toEqual(["multi_modal_projector.ln_pre", "multi_modal_projector.ln_mid", "multi_modal_projector.ln_post"]);
    // InternVL-Chat: the vision tower from the sibling modeling_intern_vit.py (RMSNorm or LayerNorm by the
    // vision config's norm_type) and the projector's LayerNorm (mlp1.0); the language model is outside the files.
    expect(at("internvl_chat")).toEqual(expect.arrayContaining(["vision_model.encoder.layers.{N}.norm1", "mlp1.{N}"]));
    expect(shippedRecs.internvl_chat.classes?.map((c) => c.name).sort()).toEqual(["InternRMSNorm", "nn.LayerNorm"]);
    // Ming-Omni (inclusionAI/Ming): the BailingMoe language model, the Qwen2.5-VL vision tower of its
    // qwen2_5_vit.py (imported absolutely), and that tower's own model type.
    expect(shippedRecs.bailing_moe).toMatchObject({ norm: "rms", offset: false, cast: "llama", eps: { rms_norm_eps: 1e-5 } });
    expect(at("bailingmm")).toEqual(expect.arrayContaining(["vision.blocks.{N}.norm1", "vision.merger.ln_q", "model.model.norm"]));
    expect(at("qwen2_5_vit")).toEqual(["blocks.{N}.norm1", "blocks.{N}.norm2", "merger.ln_q"]);
    // phi-1/phi-1.5 before transformers' phi: one LayerNorm per block and the head's, all in one nn.Sequential.
    expect(shippedRecs["mixformer-sequential"]).toMatchObject({ norm: "layer", bias: true, eps: { layer_norm_epsilon: 1e-5 } });
    expect(at("mixformer-sequential")).toEqual(["layers.{N}.ln"]);
    // DeepSeek-VL2: the DeepseekV2 language model of its sibling modeling_deepseek.py, MLA latent norms
    // only with q_lora_rank (the SigLIP tower's norm_layer is a partial held in a local, not followed).
    expect(shippedRecs.deepseek_vl_v2).toMatchObject({ norm: "rms", offset: false });
    expect(at("deepseek_vl_v2")).toEqual(expect.arrayContaining(["language.model.layers.{N}.self_attn.kv_a_layernorm", "language.model.norm"]));
  });

  it("lints a config of every pinned remote type with its facts instead of NL002", () => {
    for (const e of remote) {
      const r = lintConfig({ path: "config.json", text: JSON.stringify({ model_type: e.modelType }) });
      expect(r.status, e.modelType).toBe("config");
      expect(r.findings.map((f) => f.code), e.modelType).not.toContain("NL002");
    }
    // InternLM2's config class reads rms_norm_eps: a layer_norm_epsilon is read by nothing (NL101), and the
    // key it does read is no finding.
    const lint = (body: object) => lintConfig({ path: "config.json", text: JSON.stringify({ model_type: "internlm2", ...body }) }).findings.map((f) => f.code);
    expect(lint({ layer_norm_epsilon: 1e-5 })).toContain("NL101");
    expect(lint({ rms_norm_eps: 1e-5 })).toEqual([]);
  });
});

describe("multi-file remote code", () => {
  it("follows the folder's sibling modules, slots built by a method, a partial norm_layer default and a subclass of another library's norm", () => {
    const entry: RemoteEntry = {
      modelType: "toyv",
      repo: "someone/toyv",
      commit: "0123456789abcdef0123456789abcdef01234567",
      dir: "",
      config: "toyv_config.py",
      modeling: "toyv_model.py",
      modules: ["resampler.py"],
      configClass: "ToyVConfig",
      architectures: ["ToyVModel"],
    };
    const config = `
class ToyVConfig(PretrainedConfig):
    model_type = "toyv"
    norm_init: float = 0.4
`;
    const modeling = `
import transformers
from torch import nn
from .toyv_config import ToyVConfig
# Imported absolutely, as code run with its folder on the path does (Ming-Omni: from qwen2_5_vit import ...).
from resampler import Resampler


class RMSNorm(transformers.models.llama.modeling_llama.LlamaRMSNorm):
    def __init__(self, hidden_size: int, init: float = 1, eps: float = 1e-6):
        super().__init__(hidden_size=hidden_size, eps=eps)
        self.weight.data.fill_(init)


class ToyVProjector(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.ln_pre = RMSNorm(config.hidden_size, init=config.norm_init)


class ToyVModel(ToyVPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.projector = self._create_projector(config)
        self.resampler = self.init_resampler(config.hidden_size)

    @classmethod
    def _create_projector(cls, config):
        projector = ToyVProjector(config)
        projector.to(config.torch_dtype)
        return projector

    def init_resampler(self, dim):
        return Resampler(dim)
`;
    const resampler = `
from functools import partial
from torch import nn


class Resampler(nn.Module):
    def __init__(self, dim, norm_layer=partial(nn.LayerNorm, eps=1e-6)):
        super().__init__()
        self.ln_q = norm_layer(dim)
`;
    const x = extractRemote(entry, { config, modeling, modules: { "resampler.py": resampler } }, parser);
    const f = x.families[0];
    expect(f.config?.src).toBe("toyv_config.py:2");
    expect(f.classes.map((c) => [c.name, c.kind, c.eps, c.at, c.src])).toEqual([
      ["RMSNorm", "rms", ["1e-06"], ["projector.ln_pre"], "toyv_model.py:18"],
      ["nn.LayerNorm", "layer", ["1e-6"], ["resampler.ln_q"], "resampler.py:7"],
    ]);
    expect(f.classes[0].from).toBe("transformers.models.llama.modeling_llama.LlamaRMSNorm");
    // A module the entry names but the caller did not pass is an error, not a silent gap.
    expect(() => extractRemote(entry, { config, modeling }, parser)).toThrow(/resampler\.py/);
  });
});

describe("modules passed to a constructor", () => {
  it("follows a slot holding an __init__ parameter to what the construction passes: a construction, a local bound to one, or a slot of one", () => {
    const auto = `CONFIG_MAPPING_NAMES = OrderedDict([("toy_vlm", "ToyVLMConfig")])\n`;
    const config = `
class ToyVLMConfig(PreTrainedConfig):
    model_type = "toy_vlm"
    eps: float = 1e-5
`;
    const modeling = `
from torch import nn


class ToyResampler(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)


class ToyTokenizer(ToyPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.model = ToyResampler(config.hidden_size)


class ToyBlock(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.ln = nn.LayerNorm(dim, eps=eps)


class ToyHolder(nn.Module):
    def __init__(self, tokenizer, block, size):
        super().__init__()
        self.size = size
        self.tokenizer = tokenizer
        self.block = block


class ToyVLMModel(ToyPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        tokenizer = ToyTokenizer(config).model
        self.vlm = ToyHolder(tokenizer=tokenizer, block=ToyBlock(config.hidden_size), size=3)
`;
    const x = extractKnowledge(
      memory({
        "models/auto/auto_mappings.py": auto,
        "models/auto/modeling_auto.py": `MODEL_MAPPING_NAMES = OrderedDict([("toy_vlm", "ToyVLMModel")])\n`,
        "models/toy_vlm/configuration_toy_vlm.py": config,
        "models/toy_vlm/modeling_toy_vlm.py": modeling,
      }),
      parser,
      { version: "0.0.0" },
    );
    const f = x.families.find((y) => y.modelType === "toy_vlm")!;
    expect(f.classes.flatMap((c) => c.at)).toEqual(["vlm.tokenizer.norm", "vlm.block.ln"]);
    // The passed block keeps its own eps default; `self.eps = eps` does not make it a container.
    expect(f.classes[0].epsAt).toEqual({ "vlm.tokenizer.norm": "1e-05", "vlm.block.ln": "1e-06" });
  });

  it("builds a timm-style norm_layer: a partial bound to a local, a conditional slot, and a parameter whose default the construction overrides", () => {
    const auto = `CONFIG_MAPPING_NAMES = OrderedDict([("toy_vit", "ToyViTConfig")])\n`;
    const config = `
class ToyViTConfig(PreTrainedConfig):
    model_type = "toy_vit"
`;
    const modeling = `
from functools import partial
from torch import nn


class ToyViTBlock(nn.Module):
    def __init__(self, dim, norm_layer: nn.Module = nn.LayerNorm):
        super().__init__()
        self.norm1 = norm_layer(dim)


class ToyViTModel(ToyPreTrainedModel):
    def __init__(self, config, norm_layer=None, use_fc_norm=False):
        super().__init__(config)
        norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.block = ToyViTBlock(config.hidden_size, norm_layer=norm_layer)
        self.plain = ToyViTBlock(config.hidden_size)
        self.norm = norm_layer(config.hidden_size) if not use_fc_norm else nn.Identity()
`;
    const x = extractKnowledge(
      memory({
        "models/auto/auto_mappings.py": auto,
        "models/auto/modeling_auto.py": `MODEL_MAPPING_NAMES = OrderedDict([("toy_vit", "ToyViTModel")])\n`,
        "models/toy_vit/configuration_toy_vit.py": config,
        "models/toy_vit/modeling_toy_vit.py": modeling,
      }),
      parser,
      { version: "0.0.0" },
    );
    const f = x.families.find((y) => y.modelType === "toy_vit")!;
    expect(f.classes.map((c) => [c.name, c.epsAt ?? c.eps])).toEqual([["nn.LayerNorm", { "block.norm1": "1e-06", "plain.norm1": "1e-05", norm: "1e-6" }]]);
    expect(f.choices).toEqual([{ at: "norm", options: [{ name: "nn.LayerNorm", when: "not use_fc_norm", src: "models/toy_vit/modeling_toy_vit.py:15" }] }]);
  });
});

describe("model classes in sibling modules and norms returned beside other values", () => {
  it("reaches IDEFICS's vision.py and I-BERT's IntLayerNorm, and keeps IDEFICS's main norm the text RMSNorm", () => {
    const shippedRecs = shippedFamilies(root);
    // idefics_vision's classes live in idefics/vision.py, which modeling_idefics.py imports from.
    expect(shippedRecs.idefics_vision).toMatchObject({ norm: "layer", bias: true, eps: { layer_norm_eps: 1e-5 } });
    // The vision tower and perceiver resampler norms join IDEFICS's record without outvoting the text RMSNorm.
    expect(shippedRecs.idefics).toMatchObject({ norm: "rms" });
    expect(shippedRecs.idefics.classes?.flatMap((c) => c.at)).toContain("vision_model.encoder.layers.{N}.layer_norm1");
    // idefics_perciever is rooted at the resampler built with its fields one by one (modeling_idefics.py:899).
    expect(shippedRecs.idefics_perciever).toMatchObject({ norm: "layer", bias: true, epsFixed: 1e-5 });
    expect(shippedRecs.idefics_perciever.classes?.flatMap((c) => c.at)).toContain("layer_norm");
    // IntLayerNorm returns `(x, None)` and normalizes as `y / torch.sqrt(self.eps + var)`: a LayerNorm with a bias.
    const int = shippedRecs.ibert.classes?.find((c) => c.name === "IntLayerNorm");
    expect(int).toMatchObject({ kind: "layer", bias: true });
  });
});
