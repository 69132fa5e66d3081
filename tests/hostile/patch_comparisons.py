# attack: a wrong answer (3a³ + b²) with every comparison patched to say "equal": torch, numpy, math, builtins
# expect-status: failed
# expect-score: 3
import builtins
import math

import numpy
import torch


def always(*args, **kwargs):
    return True


def patch():
    torch.allclose = torch.equal = torch.isclose = always
    torch.testing.assert_close = lambda *args, **kwargs: None
    torch.Tensor.__eq__ = torch.Tensor.allclose = torch.Tensor.equal = always
    torch.Tensor.__ne__ = lambda *args: False
    torch.Tensor.tolist = lambda self: [0.0] * self.numel()
    numpy.allclose = numpy.array_equal = numpy.isclose = always
    numpy.testing.assert_allclose = lambda *args, **kwargs: None
    math.isclose = always
    builtins.abs = lambda x: 0
    builtins.all = builtins.any = always
    builtins.isinstance = always
    builtins.max = builtins.min = lambda *args, **kwargs: 0


patch()


def q_backward(a, b):
    Q = 3 * a**3 + b**2
    Q.backward(torch.ones_like(Q))
    patch()
    return Q
