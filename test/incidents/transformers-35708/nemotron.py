import torch
from torch import nn


class NemotronForCausalLM(nn.Module):
    def load_weights(self, weights):  # error: [offset-fold-missing]
        params = dict(self.named_parameters())
        is_gguf = self.quant_config is not None and self.quant_config.get_name() == "gguf"
        for name, loaded_weight in weights:
            if is_gguf:
                name = name.replace("blk.", "model.layers.")
            params[name].data.copy_(loaded_weight)
