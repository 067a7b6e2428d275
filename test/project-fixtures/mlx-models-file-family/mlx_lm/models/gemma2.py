# mlx-lm's layout: one module per model type directly under models/ (mlx_lm.models.<model_type>), so
# the file name gives the family. Gemma 2 stores norm scales as offsets from 1: passing the raw weight
# to mx.fast.rms_norm drops the offset (a note on MLX code: the stored layout decides).
import mlx.core as mx
import mlx.nn as nn


class RMSNorm(nn.Module):
    def __init__(self, dims: int, eps: float = 1e-6):
        super().__init__()
        self.weight = mx.ones((dims,))
        self.eps = eps

    def __call__(self, x):
        return mx.fast.rms_norm(x, self.weight, self.eps)  # error: [norm-missing-unit-offset]
