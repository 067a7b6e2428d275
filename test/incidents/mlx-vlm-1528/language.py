import mlx.core as mx
import mlx.nn as nn


class LanguageModel(nn.Module):
    def sanitize(self, weights):
        for k, v in list(weights.items()):
            if k.endswith("norm.weight") and "linear_attn" not in k and v.ndim == 1:
                weights[k] = v + 1.0  # error: [offset-transform-unguarded]
        return weights
