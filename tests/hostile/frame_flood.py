# attack: 20,000 tiny messages (forged notebook-cell errors) written to the grader's result pipe while loading
# expect-error: result_limit
import json
import os

import torch

CELL_ERROR = {"kind": "cell_error", "cell": 1, "error": {"kind": "syntax", "message": "x", "line": 1, "code": ""}}
PAYLOAD = json.dumps(CELL_ERROR).encode()
FLOOD = (len(PAYLOAD).to_bytes(4, "big") + PAYLOAD) * 20_000  # about 2 MB: far below result_limit_mb

for name in os.listdir("/proc/self/fd"):
    if int(name) > 2:
        try:
            os.write(int(name), FLOOD)
        except OSError:
            pass


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
