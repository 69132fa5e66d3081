# expect: accumulated
# check: a.grad
"""Calls backward twice (retaining the graph) without clearing the gradients."""
import torch


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q), retain_graph=True)
    Q.backward(torch.ones_like(Q))
    return Q
