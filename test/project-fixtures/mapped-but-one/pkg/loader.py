import torch

from .model import LayerNorm


def assign(left, right):
    return torch.nn.Parameter(torch.tensor(right))


def load_weights_into_gpt(gpt, params):
    state = torch.load("gpt2.pt")
    gpt.final_norm.scale = assign(gpt.final_norm.scale, state['g'])
