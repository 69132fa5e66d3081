# expect: images-not-tracked
"""The images never require grad, so images.grad stays None."""
import torch


def saliency(model, images, labels):
    model.eval()
    scores = model(images)[torch.arange(len(labels)), labels]
    scores.sum().backward()
    return images.grad.abs().amax(dim=1)
