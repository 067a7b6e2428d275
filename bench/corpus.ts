// A deterministic corpus of config.json files: real-looking configs of many families, a share of
// them with the mistakes normlint looks for.
import { family, modelTypes } from "../src/engine/knowledge/index";
import { mulberry32 as rng } from "../src/engine/numerics/random";


export function generateConfig(i: number): string {
  const rand = rng(i + 1);
  const types = modelTypes().filter((t) => Object.keys(family(t)!.eps).length > 0);
  const type = types[Math.floor(rand() * types.length)];
  const fam = family(type)!;
  const cfg: Record<string, unknown> = {
    architectures: fam.arch?.slice(0, 1) ?? [],
    model_type: type,
    hidden_size: 256 * (1 + Math.floor(rand() * 16)),
    intermediate_size: 1024 * (1 + Math.floor(rand() * 16)),
    num_hidden_layers: 2 + Math.floor(rand() * 60),
    num_attention_heads: 8 * (1 + Math.floor(rand() * 8)),
    vocab_size: 32000 + Math.floor(rand() * 100000),
    max_position_embeddings: 4096,
    torch_dtype: "bfloat16",
    transformers_version: "4.57.1",
  };
  for (const [k, d] of Object.entries(fam.eps)) cfg[k] = d ?? 1e-6;
  const r = rand();
  if (r < 0.1) cfg.layer_norm_eps = 1e-5;
  else if (r < 0.15) cfg.rms_nms_eps = 1e-5;
  else if (r < 0.2) cfg[Object.keys(fam.eps)[0]] = "1e-6";
  for (let k = 0; k < 20; k++) cfg[`extra_setting_${k}`] = rand() < 0.5 ? k : `value-${k}`;
  return JSON.stringify(cfg, null, 2) + "\n";
}
