import torch
from torch import nn

from eng.nn import RMSNorm


class GemmaDecoderLayer(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.input_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)


class GemmaModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layers = nn.ModuleList([GemmaDecoderLayer(config) for _ in range(config.num_hidden_layers)])
        self.norm = RMSNorm(config.hidden_size, config.rms_norm_eps)


class GemmaForCausalLM(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.model = GemmaModel(config)

    def load_weights(self, weights):
        norm_layers = [".norm", ".input_layernorm", ".post_attention_layernorm"]
        params_dict = dict(self.named_parameters())
        for name, loaded_weight in weights:
            if "rotary_emb.inv_freq" in name:
                continue
            for weight_name in norm_layers:
                if weight_name not in name:
                    continue
# Gemma checkpoints store the norm scale as an offset from 1 (a comment at column 0 inside the method).
                loaded_weight = loaded_weight + 1
                break
            params_dict[name].data.copy_(loaded_weight)
