# attack: open the host's device nodes for writing (kernel log, loop devices, disks, kvm, fuse); nothing is written
# expect-status: passed
# needs: namespaces
import glob
import os

import torch

paths = ["/dev/kmsg", "/dev/loop-control", "/dev/kvm", "/dev/fuse", *sorted(glob.glob("/dev/loop[0-9]*"))[:2],
         *sorted(glob.glob("/dev/[vsh]d[a-z]"))[:2], *sorted(glob.glob("/dev/nvme[0-9]n[0-9]"))[:2], "/dev/mem"]
for path in paths:
    try:
        os.close(os.open(path, os.O_WRONLY))  # opened, closed, nothing written
        print("OPEN-W", path)
    except OSError as exc:
        print("refused", exc.errno, path)


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
