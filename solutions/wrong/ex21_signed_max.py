# expect: signed-max
"""The max of the raw gradient, without abs."""
import torch


def saliency(model, images, labels):
    model.eval()
    x = images.clone().requires_grad_(True)
    score = model(x).gather(1, labels[:, None]).sum()
    score.backward()
    return x.grad.max(dim=1).values
