import torch

KEYS = {
    "ln_f.weight": "final_norm.scale",
    "ln_f.bias": "final_norm.shift",
}


def convert(path):
    state = torch.load(path)
    return {KEYS.get(k, k): v for k, v in state.items()}
