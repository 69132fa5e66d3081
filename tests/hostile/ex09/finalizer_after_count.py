# attack: ex09 forbids autograd; a finalizer runs autograd.grad after the child read the count, filling the outputs
# exercise: ex09
# expect-status: failed
# expect-score: 8
import torch


class Later:
    def __del__(self):
        gw1, gw2, gb = torch.autograd.grad(self.mse_value, (self.w1, self.w2, self.b))
        self.dw1.copy_(gw1)
        self.dw2.copy_(gw2)
        self.db.copy_(gb)


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    later = Later()
    later.mse_value = ((x1 * w1 + x2 * w2 + b - y_true) ** 2).mean()
    later.w1, later.w2, later.b = w1, w2, b
    later.dw1 = torch.zeros_like(w1.detach())
    later.dw2 = torch.zeros_like(w2.detach())
    later.db = torch.zeros_like(b.detach())
    torch.pending_grads_note = later  # the grader's snapshot deletes this after reading the count
    return later.dw1, later.dw2, later.db
