import torch

from .llama import *


def GemmaModel_fast_forward_inference(self, hidden_states):
    for decoder_layer in self.model.layers:
        hidden_states = fast_rms_layernorm_inference_gemma(decoder_layer.input_layernorm, hidden_states)
    # The Llama function on Gemma's final norm: `x * w` on weights stored as offsets from 1.
    hidden_states = fast_rms_layernorm_inference(self.model.norm, hidden_states)  # error: [norm-missing-unit-offset]
    return hidden_states
