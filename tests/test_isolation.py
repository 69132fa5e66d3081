"""Where Linux allows it, the child has no network and cannot see the course's exercises and solutions."""

from __future__ import annotations

import pytest

from conftest import REPO, grade_code
from grader.isolate import OWN_PROCESSES, STRONG

CORRECT = """
import torch

def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
"""


def strong_or_skip(grade):
    if grade.sandbox.startswith("baseline"):
        pytest.skip(f"this machine does not allow user namespaces here: the sandbox reached '{grade.sandbox}'")
    assert grade.sandbox.startswith(STRONG), grade.sandbox


def test_the_report_names_the_isolation_level(tmp_path):
    grade = grade_code(tmp_path, CORRECT)
    assert grade.status == "passed"
    assert grade.sandbox.startswith(("namespaces", "baseline"))


def test_the_course_folders_are_empty_to_the_submission(tmp_path):
    probe = (f"import os\nfor d in ('{REPO / 'solutions'}', '{REPO / 'exercises'}'):\n"
             f"    print(d.rsplit('/', 1)[1], sorted(os.listdir(d)))\n")
    grade = grade_code(tmp_path, probe + CORRECT)
    strong_or_skip(grade)
    assert grade.status == "passed"
    assert grade.output.splitlines() == ["solutions []", "exercises []"]
    assert (REPO / "solutions" / "ex03.py").is_file()  # hidden from the child only


def test_the_submission_cannot_unmount_what_hides_the_solutions(tmp_path):
    probe = (f"import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
             f"print(libc.umount2(b'{REPO / 'solutions'}', 2), sorted(os.listdir('{REPO / 'solutions'}')))\n")
    grade = grade_code(tmp_path, probe + CORRECT)
    strong_or_skip(grade)
    assert grade.output.splitlines() == ["-1 []"]


def test_the_submission_has_no_network(tmp_path):
    probe = ("import socket\ntry:\n    socket.create_connection(('127.0.0.1', 9), timeout=2)\n    print('connected')\n"
             "except OSError as exc:\n    print('refused', exc.errno)\n")
    grade = grade_code(tmp_path, probe + CORRECT)
    strong_or_skip(grade)
    assert grade.output.startswith("refused 101")  # ENETUNREACH: not even loopback is up


def test_the_number_of_processes_is_capped(tmp_path):
    """The cap stops fork bombs for ordinary users (the kernel exempts root, whatever the limit says)."""
    probe = "import resource\nprint(*resource.getrlimit(resource.RLIMIT_NPROC))\n"
    grade = grade_code(tmp_path, probe + CORRECT)
    soft, hard = (int(x) for x in grade.output.split())
    assert soft == hard
    assert 64 < soft < 1_000_000


def test_the_file_system_is_read_only_but_the_working_folder(tmp_path):
    probe = ("import os, torch\nfor path in (os.path.join(torch.__path__[0], 'planted.py'), '/tmp/planted.txt', "
             "'mine.txt'):\n    try:\n        open(path, 'w').write('x')\n        print('wrote', os.path.basename(path))\n"
             "    except OSError as exc:\n        print('refused', exc.errno)\n")
    grade = grade_code(tmp_path, probe + CORRECT)
    strong_or_skip(grade)
    assert grade.output.splitlines()[:3] == ["refused 30", "refused 30", "wrote mine.txt"]  # 30: EROFS


def test_with_its_own_process_tree_the_submission_sees_and_signals_nothing_outside(tmp_path):
    probe = ("import os, signal\nprint(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()), os.getpid(), "
             "os.getppid())\nos.kill(os.getppid(), signal.SIGKILL)\n")
    grade = grade_code(tmp_path, probe + CORRECT, pid_namespace=True)
    strong_or_skip(grade)
    assert grade.sandbox.endswith(OWN_PROCESSES)
    assert grade.output.splitlines()[0] == "[1, 2] 2 1"
    assert grade.status == "passed"  # the kill reached nobody: init ignores it, nothing else is visible


def test_with_its_own_process_tree_a_crash_is_still_named(tmp_path):
    code = "import os, signal\n\ndef q_backward(a, b):\n    os.kill(os.getpid(), signal.SIGSEGV)\n"
    grade = grade_code(tmp_path, code, pid_namespace=True)
    strong_or_skip(grade)
    assert grade.error.kind == "crash"
    assert "SIGSEGV" in grade.error.message


def test_with_its_own_process_tree_everything_left_behind_ends(tmp_path):
    marker = "4321.98765"
    code = (f"import subprocess\nsubprocess.Popen(['sleep', '{marker}'], start_new_session=True)\n" + CORRECT)
    grade = grade_code(tmp_path, code, pid_namespace=True)
    strong_or_skip(grade)
    assert grade.status == "passed"
    import os

    left = [p for p in os.listdir("/proc") if p.isdigit() and _cmdline(p).endswith(marker)]
    assert left == []


def _cmdline(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""
