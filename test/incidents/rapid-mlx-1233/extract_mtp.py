import mlx.core as mx


def extract_mtp_weights(weights):
    out = {}
    for k, v in weights.items():
        if not k.startswith("mtp."):
            continue
        if "norm" in k and v.ndim == 1:
            v = v + 1.0
        out[k] = v
    return out
