import mlx.core as mx
import mlx.nn as nn


class Model(nn.Module):
    def sanitize(self, weights):
        has_mtp = any("mtp." in k for k in weights)  # error: [offset-transform-unguarded]
        if has_mtp:
            for k, v in list(weights.items()):
                if k.endswith("norm.weight") and "linear_attn" not in k and v.ndim == 1:
                    weights[k] = v + 1.0
        return {k: v for k, v in weights.items() if not k.startswith("mtp.")}
