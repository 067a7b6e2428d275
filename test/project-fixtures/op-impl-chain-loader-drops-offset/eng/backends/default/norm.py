import torch

from ..norm import RMSNormImpl


class DefaultRMSNormImpl(RMSNormImpl):
    """The reference implementation of the RMSNorm op."""

    def __init__(self, hidden_size, eps=1e-6):
        self.hidden_size = hidden_size
        self.eps = eps

    def forward(self, x, weight, residual=None):
        input_dtype = x.dtype
        if residual is not None:
            x = x + residual
            residual = x
        x = x.to(torch.float32)
        variance = x.square().mean(-1, keepdim=True)
        x = x * torch.rsqrt(variance + self.eps)
        x = weight.to(torch.float32) * x
        x = x.to(input_dtype)
        if residual is None:
            return x
        return x, residual


class DefaultRMSNormBuilder:
    @staticmethod
    def build(hidden_size, eps=1e-6):
        return DefaultRMSNormImpl(hidden_size, eps)
