from .norm import RMSNorm
