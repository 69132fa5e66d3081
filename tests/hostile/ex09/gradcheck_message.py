# attack: ex09 forbids autograd; gradcheck in forward mode prints the Jacobian in its error message
# exercise: ex09
# expect-status: failed
# expect-score: 8
import torch


def forward_jacobian(f, p):
    """torch.autograd.gradcheck in forward mode only, with tolerances it cannot meet: its error message carries the
    Jacobian that forward-mode AD computed (dual numbers, no backward engine)."""
    torch.set_printoptions(precision=17)
    text = ""
    p0 = p.detach().clone()   # a cubic term: zero derivative at p, but central differences see eps**2
    try:
        torch.autograd.gradcheck(lambda v: f(v) + ((v - p0) ** 3).sum(), (p,), atol=0.0, rtol=0.0, eps=0.5,
                                 check_forward_ad=True, check_backward_ad=False, check_undefined_grad=False,
                                 check_batched_grad=False)
    except Exception as e:
        text = str(e)
    part = text.split("analytical:")[1].split("dtype")[0]
    for ch in ("tensor", "(", ")", "[", "]", ","):
        part = part.replace(ch, " ")
    return torch.tensor([float(s) for s in part.split()])


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    a, c, y = x1.detach().double(), x2.detach().double(), y_true.detach().double()
    p, q, r = (t.detach().double().requires_grad_() for t in (w1, w2, b))
    dw1 = forward_jacobian(lambda v: ((a * v + c * q + r - y) ** 2).mean(), p)
    dw2 = forward_jacobian(lambda v: ((a * p + c * v + r - y) ** 2).mean(), q)
    db = forward_jacobian(lambda v: ((a * p + c * q + v - y) ** 2).mean(), r)
    return dw1.float(), dw2.float(), db.float().reshape(())
