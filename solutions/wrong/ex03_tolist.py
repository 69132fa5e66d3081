# expect: type
# check: Q
"""Returns Q as a Python list (Q.tolist()): the right numbers, but not the tensor the exercise asks for."""
import torch


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q.tolist()
