# attack: ex09 forbids autograd; the same spy built by type() with a string key, no dunder in the source
# exercise: ex09
# expect-status: failed
# expect-score: 8
import torch

seen = []
# no dunder anywhere in the AST as a def or a Name: the hook is a string key of type()'s namespace dict
Spy = type("Spy", (torch.Tensor,), {"__torch_function__": classmethod(lambda cls, func, *rest: seen.append(func))})


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    torch.zeros(()).as_subclass(Spy).grad_fn is None    # Spy's hook receives the grad_fn getter, returns None
    node = seen.pop()                                     # node(t) is t.grad_fn for any plain tensor
    leaf = lambda t: t.detach().requires_grad_()
    w1l, w2l, bl, x1d, x2d = leaf(w1), leaf(w2), leaf(b), x1.detach(), x2.detach()
    with torch.enable_grad():
        p = leaf(x1d * w1.detach() + x2d * w2.detach() + b.detach())
        d = node(torch.nn.functional.mse_loss(p, y_true))(torch.ones(()))[0]
        dw1 = [g for g in node(x1d * w1l)(d) if g is not None][0]
        dw2 = [g for g in node(x2d * w2l)(d) if g is not None][0]
        db = node(bl.expand(d.shape))(d)
    return dw1.detach(), dw2.detach(), db.detach()
