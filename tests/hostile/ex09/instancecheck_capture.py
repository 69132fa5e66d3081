# attack: ex09 forbids autograd; a metaclass __instancecheck__ keeps the grad_fn node isinstance() is asked about
# exercise: ex09
# expect-status: failed
# expect-score: 8
import torch


class Catch(type):
    def __instancecheck__(cls, obj):   # isinstance(t.grad_fn, K) hands the node to the metaclass
        cls.node = obj
        return True


class K(metaclass=Catch):
    pass


def local(out, grad):
    isinstance(out.grad_fn, K)
    return K.node(grad)


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    leaf = lambda t: t.detach().requires_grad_()
    w1l, w2l, bl, x1d, x2d = leaf(w1), leaf(w2), leaf(b), x1.detach(), x2.detach()
    p = leaf(x1d * w1l.detach() + x2d * w2l.detach() + bl.detach())
    d = local(torch.nn.functional.mse_loss(p, y_true), torch.ones(()))[0]
    dw1 = [g for g in local(x1d * w1l, d) if g is not None][0]
    dw2 = [g for g in local(x2d * w2l, d) if g is not None][0]
    db = local(bl.expand(d.shape), d)
    return dw1, dw2, db
