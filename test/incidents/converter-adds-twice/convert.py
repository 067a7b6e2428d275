import torch


def convert_gemma2_to_plain(state_dict):
    out = {}
    for name, tensor in state_dict.items():
        if name.endswith("norm.weight"):
            tensor = tensor + 1
            tensor = tensor + 1
        out[name] = tensor
    return out
