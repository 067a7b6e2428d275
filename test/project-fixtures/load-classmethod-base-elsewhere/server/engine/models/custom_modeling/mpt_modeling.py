import torch
from torch import nn


class LPLayerNorm(nn.LayerNorm):
    def forward(self, x):
        with torch.autocast(enabled=False, device_type=x.device.type):
            return nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)


def rms_norm(x, weight=None, eps=1e-5):
    output = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    if weight is not None:
        return output * weight
    return output


class RMSNorm(nn.Module):
    def __init__(self, normalized_shape, eps=1e-5, weight=True):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(normalized_shape)) if weight else None

    def forward(self, x):
        return rms_norm(x.float(), self.weight, self.eps).to(dtype=x.dtype)


NORM_CLASS_REGISTRY = {
    "layernorm": nn.LayerNorm,
    "low_precision_layernorm": LPLayerNorm,
    "rmsnorm": RMSNorm,
}


class MPTBlock(nn.Module):
    def __init__(self, config):
        super().__init__()
        norm_class = NORM_CLASS_REGISTRY[config.norm_type.lower()]
        self.norm_1 = norm_class(config.d_model)
