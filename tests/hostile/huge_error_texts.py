# attack: 1,500 forged notebook-cell errors whose exception type, message and code line are 5000 characters each
# expect-status: passed
import json
import os

import torch

TEXT = "E" * 5000
FRAMES = [{"line": 1, "function": "<module>", "code": TEXT, "file": "<cell 1>"}]
ERROR = {"kind": "exception", "type": TEXT, "message": TEXT, "frames": FRAMES}
PAYLOAD = json.dumps({"kind": "cell_error", "cell": 1, "error": ERROR}).encode()

for name in os.listdir("/proc/self/fd"):
    if int(name) > 2:
        try:
            os.write(int(name), (len(PAYLOAD).to_bytes(4, "big") + PAYLOAD) * 1500)  # about 22 MB
        except OSError:
            pass


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
