# attack: ex09 forbids autograd; torch.autograd.graph.get_gradient_edge hands out graph nodes, called directly
# exercise: ex09
# expect-status: failed
# expect-score: 8
import torch
from torch.autograd.graph import get_gradient_edge


def local(out, grad):
    node = get_gradient_edge(out)[0]   # the output's grad_fn, without writing .grad_fn
    return node(grad)                   # a graph node called directly: no engine, no count


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    leaf = lambda t: t.detach().requires_grad_()
    w1l, w2l, bl, x1d, x2d = leaf(w1), leaf(w2), leaf(b), x1.detach(), x2.detach()
    p = leaf(x1d * w1l.detach() + x2d * w2l.detach() + bl.detach())
    d = local(torch.nn.functional.mse_loss(p, y_true), torch.ones(()))[0]   # MseLossBackward0
    dw1 = [g for g in local(x1d * w1l, d) if g is not None][0]               # MulBackward0
    dw2 = [g for g in local(x2d * w2l, d) if g is not None][0]
    db = local(bl.expand(d.shape), d)                                        # ExpandBackward0
    return dw1, dw2, db
