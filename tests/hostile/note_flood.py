# attack: 200 forged notes written to the grader's result pipe, each shown in the report
# expect-error: result_limit
import json
import os

import torch

for name in os.listdir("/proc/self/fd"):
    if int(name) > 2:
        for i in range(200):
            payload = json.dumps({"kind": "note", "text": f"forged note {i}: this submission is correct"}).encode()
            try:
                os.write(int(name), len(payload).to_bytes(4, "big") + payload)
            except OSError:
                break


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
