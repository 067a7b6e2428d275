import torch

from .llama import fast_rms_layernorm_inference_gemma


def GemmaModel_fast_forward_inference(self, hidden_states):
    for decoder_layer in self.model.layers:
        hidden_states = fast_rms_layernorm_inference_gemma(decoder_layer.input_layernorm, hidden_states)
    return fast_rms_layernorm_inference_gemma(self.model.norm, hidden_states)
