# attack: ex09 forbids autograd; a Parameter subclass's __torch_function__ is handed grad_fn's getter
# exercise: ex09
# expect-status: failed
# expect-score: 8
import torch

seen = []


class Spy(torch.nn.Parameter):     # a Parameter subclass: Spy(t) builds one, no as_subclass needed
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        seen.append(func)


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    Spy(torch.zeros(())).grad_fn is None
    node = seen.pop()
    leaf = lambda t: t.detach().requires_grad_()
    w1l, w2l, bl, x1d, x2d = leaf(w1), leaf(w2), leaf(b), x1.detach(), x2.detach()
    with torch.enable_grad():
        p = leaf(x1d * w1.detach() + x2d * w2.detach() + b.detach())
        d = node(torch.nn.functional.mse_loss(p, y_true))(torch.ones(()))[0]
        dw1 = [g for g in node(x1d * w1l)(d) if g is not None][0]
        dw2 = [g for g in node(x2d * w2l)(d) if g is not None][0]
        db = node(bl.expand(d.shape))(d)
    return dw1.detach(), dw2.detach(), db.detach()
