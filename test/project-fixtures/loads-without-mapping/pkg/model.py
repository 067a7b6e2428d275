# GPT-2 port in the style of LLMs-from-scratch: `scale`/`shift` where checkpoints store `weight`/`bias`.
# normlint: model_type=gpt2
import torch
from torch import nn


class LayerNorm(nn.Module):
    def __init__(self, emb_dim):
        super().__init__()
        self.eps = 1e-5
        self.scale = nn.Parameter(torch.ones(emb_dim))  # warning: [norm-param-name-mismatch]
        self.shift = nn.Parameter(torch.zeros(emb_dim))  # warning: [norm-param-name-mismatch]

    def forward(self, x):
        mean = x.mean(dim=-1, keepdim=True)
        var = x.var(dim=-1, keepdim=True, unbiased=False)
        return self.scale * (x - mean) / torch.sqrt(var + self.eps) + self.shift
