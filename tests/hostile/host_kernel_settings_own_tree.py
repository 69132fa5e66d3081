# attack: host_kernel_settings.py in a process tree of its own, under a /proc mounted afresh for that tree
# expect-status: passed
# limits: pid_namespace=true
# needs: namespaces
import glob
import os

import torch

for path in ("/proc/sys/vm/swappiness", "/proc/irq/default_smp_affinity"):
    try:
        with open(path, "rb") as handle:
            value = handle.read()
        with open(path, "wb") as handle:  # the same bytes back: proves write access, changes nothing
            handle.write(value)
        print("WROTE", path)
    except OSError as exc:
        print("refused", exc.errno, path)
paths = ["/proc/sys/kernel/core_pattern", "/proc/sysrq-trigger", "/sys/kernel/mm/transparent_hugepage/enabled",
         "/sys/power/state", *sorted(glob.glob("/sys/fs/cgroup/*/cgroup.procs"))[:3],
         *glob.glob("/sys/fs/cgroup/cgroup.procs")]
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
