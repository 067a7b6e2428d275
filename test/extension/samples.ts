// Texts the extension tests share.

/** A Gemma RMSNorm port that scales by `weight` (NL201), with its family from the comment. */
export const GEMMA_PY = `# normlint: model_type=gemma
import torch
from torch import nn


class GemmaRMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        y = x.float()
        y = y * torch.rsqrt(y.pow(2).mean(-1, keepdim=True) + self.eps)
        return (y * self.weight.float()).type_as(x)
`;
