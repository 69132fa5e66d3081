# attack: hold 1 GB in memfd files (written, never mapped), which RLIMIT_AS does not count; memory_mb is 256
# expect-error: memory
# limits: memory_mb=256
# needs: cgroups
import os

import torch

held = []
chunk = b"\1" * (1 << 24)
try:
    for i in range(16):  # 16 files of 64 MB: each stays under the 64 MB file-size limit
        fd = os.memfd_create(f"hoard{i}")
        for _ in range(4):
            os.write(fd, chunk)
        held.append(fd)
except OSError as exc:  # a memory limit that covers this memory makes it a memory error
    raise MemoryError(f"stopped after {len(held) * 64} MB: {exc}") from None
print(f"held {len(held) * 64} MB outside the address-space limit", flush=True)


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
