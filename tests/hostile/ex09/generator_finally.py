# attack: ex09 forbids autograd; a generator's finally does the same when the snapshot drops it: no dunder at all
# exercise: ex09
# expect-status: failed
# expect-score: 8
import torch


def deferred(mse_value, params, outs):
    try:
        yield
    finally:  # runs when the generator is dropped, i.e. when the grader's snapshot deletes torch.pending_grads_note
        for out, g in zip(outs, torch.autograd.grad(mse_value, params)):
            out.copy_(g)


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    mse_value = ((x1 * w1 + x2 * w2 + b - y_true) ** 2).mean()
    outs = (torch.zeros_like(w1.detach()), torch.zeros_like(w2.detach()), torch.zeros_like(b.detach()))
    pending = deferred(mse_value, (w1, w2, b), outs)
    next(pending)
    torch.pending_grads_note = pending
    return outs
