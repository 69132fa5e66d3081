# attack: the right Q after a right backward pass, returned as a Python list (Q.tolist()) where a tensor is due
# expect-status: failed
# expect-score: 6
import torch


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q.tolist()
