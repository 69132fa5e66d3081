import torch


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(gradient=torch.ones_like(Q))
    return Q


# trying it out
a = torch.tensor([2, 3], requires_grad=True)
b = torch.tensor([6, 4], requires_grad=True)
print(q_backward(a, b), a.grad, b.grad)
