# expect: grad_fn
# check: y.grad_fn
"""Returns y.detach(): the numbers are right, but y is cut off from the graph (grad_fn None)."""
import torch


def first_gradient(x):
    x_tensor = torch.tensor(x, requires_grad=True)
    y = 3 * x_tensor**2 + 4 * x_tensor + 2
    y.backward()
    return x_tensor, y.detach()
