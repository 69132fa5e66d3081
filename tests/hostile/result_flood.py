# attack: 40 MB of forged notes written to the grader's result pipe, past result_limit_mb (32)
# expect-error: result_limit
import json
import os

import torch

PAYLOAD = json.dumps({"kind": "note", "text": "n" * 400}).encode()
FRAME = len(PAYLOAD).to_bytes(4, "big") + PAYLOAD

for name in os.listdir("/proc/self/fd"):
    if int(name) > 2:
        try:
            os.write(int(name), FRAME * (40 * 2**20 // len(FRAME)))
        except OSError:
            pass


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
