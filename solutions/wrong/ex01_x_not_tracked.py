# expect: requires_grad
# check: x_tensor requires grad
"""Returns x_tensor.detach() 'to be tidy': the returned tensor no longer requires grad and has no .grad."""
import torch


def first_gradient(x):
    x_tensor = torch.tensor(x, requires_grad=True)
    y = 3 * x_tensor**2 + 4 * x_tensor + 2
    y.backward()
    return x_tensor.detach(), y
