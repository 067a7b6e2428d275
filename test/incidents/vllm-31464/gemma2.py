import torch
from torch import nn


class Gemma2ForCausalLM(nn.Module):
    def load_weights(self, weights):  # error: [offset-fold-missing]
        params = dict(self.named_parameters())
        use_gguf = getattr(self.quant_config, "get_name", lambda: "")() == "gguf"
        for name, loaded_weight in weights:
            if use_gguf:
                name = name.replace("blk.", "model.layers.").replace("attn_norm", "input_layernorm")
            params[name].data.copy_(loaded_weight)
