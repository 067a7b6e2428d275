# Megatron-Bridge #1929 as written there: the zero-centred mapping shifts `.data` of the tensor it was
# handed, so every weight sync moves the trainer's own weights by 1 again.
import torch


class RMSNorm2ZeroCenteredRMSNormMapping:
    def hf_to_megatron(self, hf_weights, megatron_module):
        hf_weights.data -= 1  # warning: [offset-transform-unguarded]
        return hf_weights

    def megatron_to_hf(self, megatron_weights, megatron_module):
        megatron_weights.data += 1  # warning: [offset-transform-unguarded]
        return {self.hf_param: megatron_weights}
