"""Where Linux allows it, the child has no network and cannot see the course's exercises and solutions."""

from __future__ import annotations

import pytest

from conftest import REPO, grade_code
from grader.isolate import STRONG

CORRECT = """
import torch

def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
"""


def strong_or_skip(grade):
    if grade.sandbox != STRONG:
        pytest.skip(f"this machine does not allow user namespaces here: the sandbox reached '{grade.sandbox}'")


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
