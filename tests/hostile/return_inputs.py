# attack: return the input tensor a itself as Q (after a correct backward pass)
# expect-status: failed
# expect-score: 6
import torch


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return a
