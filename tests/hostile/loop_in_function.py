# attack: an endless loop inside q_backward, after a correct backward pass
# expect-error: timeout
# limits: timeout_s=2
import torch


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    while True:
        pass
