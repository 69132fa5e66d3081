import numpy as np
import torch


def first_gradient(x):
    x_tensor = torch.tensor(x, requires_grad=True)
    x_np = x_tensor.numpy()
    y = torch.tensor(3 * np.power(x_np, 2) + 4 * x_np + 2)
    y.backward()
    return x_tensor, y
