# attack: ex01's y returned as a Python float (y.item()) where the tensor y is due: right number, no graph
# exercise: ex01
# expect-status: failed
# expect-score: 6
import torch


def first_gradient(x):
    x_tensor = torch.tensor(x, requires_grad=True)
    y = 3 * x_tensor**2 + 4 * x_tensor + 2
    y.backward()
    return x_tensor, y.item()
