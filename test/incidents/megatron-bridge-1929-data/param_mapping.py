import torch


class RMSNorm2ZeroCenteredRMSNormMapping:
    def hf_to_megatron(self, hf_weights, megatron_module):
        hf_weights.data -= 1
        return hf_weights

    def megatron_to_hf(self, megatron_weights, megatron_module):
        megatron_weights.data += 1
        return {self.hf_param: megatron_weights}
