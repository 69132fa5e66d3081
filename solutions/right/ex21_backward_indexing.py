"""backward() and x.grad instead of torch.autograd.grad; the true class's logits by advanced indexing."""
import torch


def saliency(model, images, labels):
    model.eval()
    x = images.clone().requires_grad_()
    logits = model(x)
    logits[torch.arange(len(labels)), labels].sum().backward()
    return x.grad.abs().max(dim=1).values
