import torch

from .llama import fast_rms_layernorm_inference_gemma, rms_inference_into


def GemmaModel_fast_forward_inference(self, hidden_states, out_weight):
    for decoder_layer in self.model.layers:
        hidden_states = fast_rms_layernorm_inference_gemma(decoder_layer.input_layernorm, hidden_states)
    # A buffer passed: the function's other path, which adds 1.
    hidden_states = rms_inference_into(self.model.norm, hidden_states, out_weight)
    return fast_rms_layernorm_inference_gemma(self.model.norm, hidden_states)
