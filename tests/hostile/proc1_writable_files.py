# attack: open every file of /proc/1 (the launcher's init) and of each ancestor for writing: oom_score_adj, sched...
# expect-status: passed
# needs: namespaces
import os

import torch

SKIP = {"fd", "fdinfo", "map_files", "ns", "net", "root", "cwd", "exe"}  # links to the process's files, or networking


def ancestors() -> list[int]:
    found, pid = [], os.getppid()
    while pid > 0 and pid not in found:
        found.append(pid)
        try:
            with open(f"/proc/{pid}/stat") as stat:
                pid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return sorted({1, *found})


def walk(folder: str) -> int:
    """Try every file under `folder`; return how many there were."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    seen = 0
    for entry in entries:
        if entry.name in SKIP:
            continue
        if entry.is_dir(follow_symlinks=False):
            seen += walk(entry.path)
        elif entry.is_file(follow_symlinks=False):
            seen += 1
            try:
                os.close(os.open(entry.path, os.O_WRONLY | os.O_NONBLOCK))  # opened, closed, nothing written
                print("OPEN-W", entry.path)
            except OSError:
                pass
    return seen


pids = ancestors()
print("TRIED", sum(walk(f"/proc/{pid}") for pid in pids), "files of", pids)


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
