# attack: ex09 forbids autograd; a generator's finally re-patches requires_grad_: the next inputs run autograd
# exercise: ex09
# expect-status: failed
# expect-score: 8
import torch

original = torch.Tensor.requires_grad_
seen = []
ready = []


def spy(self, flag=True):
    out = original(self, flag)
    seen.append(self)
    if len(seen) == 6:  # x1, x2, w1, w2, b, y_true: built by the grader, before engine.calls = 0
        x1, x2, w1, w2, b, y_true = seen
        with torch.enable_grad():
            loss = ((x1 * w1 + x2 * w2 + b - y_true) ** 2).mean()
            grads = torch.autograd.grad(loss, (w1, w2, b))
        ready.append((x1, tuple(g.detach() for g in grads)))
        seen.clear()
    return out


def rearm():
    try:
        yield
    finally:  # runs when the snapshot deletes Optimizer.pending_note: torch.Tensor was already restored
        seen.clear()
        torch.Tensor.requires_grad_ = spy


def arm():
    pending = rearm()
    next(pending)
    torch.optim.Optimizer.pending_note = pending


arm()


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    arm()
    for first, grads in ready:
        if first is x1:
            ready.clear()
            return grads
    return torch.zeros(x1.shape), torch.zeros(x2.shape), torch.zeros(())  # no by-hand fallback at all
