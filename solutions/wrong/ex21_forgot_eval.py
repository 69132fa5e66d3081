# expect: forgot-eval
# check: s
"""No model.eval(): batch norm uses this batch's statistics and updates its running ones."""
import torch


def saliency(model, images, labels):
    x = images.clone().requires_grad_(True)
    logits = model(x)
    score = logits[torch.arange(len(labels)), labels].sum()
    score.backward()
    return x.grad.abs().amax(dim=1)
