# normlint: model_type=gemma
import torch
from torch import nn


class GemmaRMSNorm(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(d))  # info: [norm-offset-init-mismatch]

    def forward(self, x):
        return x.float() * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + 1e-6) * self.weight  # info: [norm-missing-unit-offset]
