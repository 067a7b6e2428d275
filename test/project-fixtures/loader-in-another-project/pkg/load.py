import torch


def load(model, path):
    model.load_state_dict(torch.load(path), strict=False)
