from .model import LayerNorm

norm = LayerNorm(768)
