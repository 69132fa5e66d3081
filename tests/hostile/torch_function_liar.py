# attack: a wrong answer (3a³ + b²) returned as a tensor subclass whose __torch_function__ reports the right values
# expect-status: failed
# expect-score: 3
import torch


class Liar(torch.Tensor):
    truth = None

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name == "tolist":
            return Liar.truth
        if name in ("allclose", "equal", "__eq__", "isclose", "all"):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})


def q_backward(a, b):
    with torch.no_grad():
        Liar.truth = (3 * a**3 - b**2).tolist()
    Q = 3 * a**3 + b**2
    Q.backward(torch.ones_like(Q))
    return Q.detach().as_subclass(Liar)
