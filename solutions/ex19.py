import torch


def forward_jvp(A, x, v):
    def f(x):
        return A @ torch.tanh(x)

    y, jvp = torch.func.jvp(f, (x,), (v,))
    return y, jvp
