import torch


def fast_rms_layernorm_inference(self, X, XX=None, variance=None):
    old_dtype = X.dtype
    if XX is None:
        XX = X.to(torch.float32)
        variance = XX.square().mean(-1, keepdim=True)
    else:
        XX.copy_(X)
    variance += self.variance_epsilon
    XX *= variance.rsqrt_()
    if XX is None:
        X = XX.to(old_dtype)
    else:
        X.copy_(XX)
    X *= self.weight
    return X


def fast_rms_layernorm_inference_gemma(self, X, out_weight=None):
    XX = X.to(torch.float32)
    variance = XX.square().mean(-1, keepdim=True)
    variance += self.variance_epsilon
    XX *= variance.rsqrt_()
    if out_weight is None:
        out_weight = self.weight + 1.0
    else:
        out_weight[:] = self.weight
        out_weight += 1.0
    XX *= out_weight
    return XX.to(X.dtype)


def LlamaModel_fast_forward_inference(self, hidden_states):
    for decoder_layer in self.model.layers:
        hidden_states = fast_rms_layernorm_inference(decoder_layer.input_layernorm, hidden_states)
    return fast_rms_layernorm_inference(self.model.norm, hidden_states)


def rms_inference_into(self, X, out_weight=None):
    # With its default the scale is the plain weight; a caller passing a buffer gets `1 + weight`.
    XX = X.to(torch.float32)
    variance = XX.square().mean(-1, keepdim=True)
    XX *= torch.rsqrt(variance + self.variance_epsilon)
    if out_weight is None:
        out_weight = self.weight
    else:
        out_weight[:] = self.weight
        out_weight += 1.0
    XX *= out_weight
    return XX.to(X.dtype)
