import torch


def first_gradient(x):
    x_tensor = torch.tensor(x)
    y = 3 * x_tensor**2 + 4 * x_tensor + 2
    y.backward()
    return x_tensor, y
