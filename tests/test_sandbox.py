"""The forked child, end to end: every way a submission can end is graded as a precise error, never raised here."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import tempfile
import time
from pathlib import Path

import pytest

from conftest import PORTABLE
from grader.sandbox.protocol import frame
from grader.report import render

REPO = Path(__file__).resolve().parent.parent
CHECKS = ("Q", "a.grad", "b.grad")
FAST_TIMEOUT = 2.0

CORRECT = """\
import torch


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
"""

# Q = 3a³ + b²: Q and b.grad are wrong (sign), a.grad is right: 3 of 10 points.
PLUS_B = """\
import torch


def q_backward(a, b):
    Q = 3 * a**3 + b**2
    Q.backward(torch.ones_like(Q))
    return Q
"""


def assert_not_graded(grade, kind: str) -> None:
    """The whole submission failed with error `kind`: every check carries it and scores 0."""
    assert grade.error is not None, grade
    assert grade.error.kind == kind, grade.error
    assert grade.status == "error"
    assert grade.score == 0 and grade.max_score == 10
    assert [c.name for c in grade.checks] == list(CHECKS)
    for check in grade.checks:
        assert (check.passed, check.score, check.diagnosis) == (False, 0.0, kind), check
        assert grade.error.message in check.message, check


def assert_plus_b_diagnosed(grade) -> None:
    """PLUS_B's answer, however it was dressed up: Q and b.grad fail as `sign`, a.grad passes: 3/10."""
    assert grade.error is None, grade.error
    assert grade.status == "failed"
    assert grade.score == 3.0
    by_name = {c.name: c for c in grade.checks}
    assert by_name["a.grad"].passed and by_name["a.grad"].score == 3
    for name in ("Q", "b.grad"):
        assert not by_name[name].passed and by_name[name].score == 0
        assert by_name[name].diagnosis == "sign"
        assert by_name[name].mistake == "plus-b-squared"
        assert by_name[name].trial == "public trial 1 (seed 0)"


def _state(pid: int) -> str | None:
    """The process state letter from /proc, or None when the pid no longer exists."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat.rsplit(")", 1)[1].split()[0]


# --------------------------------------------------------------------------------------------------- baseline


def test_correct_solution_scores_full(grade_code, tmp_path):
    grade = grade_code(tmp_path, (REPO / "solutions" / "ex03.py").read_text())
    assert grade.error is None
    assert grade.status == "passed"
    assert (grade.score, grade.max_score) == (10.0, 10.0)
    assert [(c.name, c.passed, c.score, c.diagnosis) for c in grade.checks] == [
        ("Q", True, 4.0, None), ("a.grad", True, 3.0, None), ("b.grad", True, 3.0, None)]
    assert grade.public_seeds == (0, 1) and grade.hidden_seeds == (4242, 4243)
    assert grade.output == "" and not grade.output_truncated
    assert grade.seconds < 2.5


def test_wrong_answer_scores_partial_with_diagnosis(grade_code, tmp_path):
    assert_plus_b_diagnosed(grade_code(tmp_path, PLUS_B))


# --------------------------------------------------------------------------------------------------- timeouts


@pytest.mark.parametrize("code, where", [
    ("def q_backward(a, b):\n    while True:\n        pass\n", "function"),
    ("while True:\n    pass\n\n\ndef q_backward(a, b):\n    return a\n", "import"),
    ("import time\n\n\ndef q_backward(a, b):\n    time.sleep(10**6)\n", "sleep"),
])
def test_endless_run_is_stopped_at_the_timeout(grade_code, tmp_path, code, where):
    started = time.monotonic()
    grade = grade_code(tmp_path, code, timeout_s=FAST_TIMEOUT)
    elapsed = time.monotonic() - started
    assert_not_graded(grade, "timeout")
    assert "stopped after 2 s" in grade.error.message
    assert "a loop that never ends" in grade.error.message
    # the portable runner's wall time includes waiting for its next interpreter to be warm; its clock starts after
    assert FAST_TIMEOUT - 0.1 <= elapsed < FAST_TIMEOUT + 2 or PORTABLE and elapsed >= FAST_TIMEOUT - 0.1
    assert FAST_TIMEOUT - 0.1 <= grade.seconds < FAST_TIMEOUT + 1


def test_timeout_on_a_hidden_trial_names_that_trial(grade_code, tmp_path):
    code = CORRECT.replace("def q_backward(a, b):\n", "CALLS = []\n\n\ndef q_backward(a, b):\n"
                           "    CALLS.append(1)\n    while len(CALLS) == 3:\n        pass\n")
    grade = grade_code(tmp_path, code, timeout_s=FAST_TIMEOUT)
    assert grade.error.kind == "timeout"
    assert "during hidden trial 3 (seed 4242)" in grade.error.message
    assert grade.score == 0
    for check in grade.checks:  # a check passes only when it passes on every trial
        assert not check.passed and check.diagnosis == "timeout"
        assert check.trial == "hidden trial 3 (seed 4242)"


# --------------------------------------------------------------------------------------------------- memory


@pytest.mark.needs_memory_limit
def test_allocation_beyond_memory_limit_is_memory(grade_code, tmp_path):
    code = CORRECT.replace("    Q = 3", "    big = torch.ones(25 * 10**6)  # 100 MB\n    Q = 3")
    assert grade_code(tmp_path, code, name="fits.py").status == "passed"  # the default 2048 MB allows it
    # 1 GB over a 64 MB cap. The cap counts from what the child already maps when it starts, and once, late in a
    # full CI run, a 100 MB tensor fitted under it (cause not found: docs/security.md, "Smaller limits")
    huge = code.replace("25 * 10**6)  # 100 MB", "250 * 10**6)  # 1 GB")
    grade = grade_code(tmp_path, huge, name="too_big.py", memory_mb=64)
    assert_not_graded(grade, "memory")
    assert "can't allocate memory" in grade.error.message
    assert "line 5: big = torch.ones(250 * 10**6)" in grade.error.message
    assert grade.error.line == 5


@pytest.mark.needs_memory_limit
def test_huge_tensor_is_memory(grade_code, tmp_path):
    grade = grade_code(tmp_path, "import torch\n\n\ndef q_backward(a, b):\n    x = torch.empty(10**11)\n",
                       memory_mb=256)
    assert_not_graded(grade, "memory")
    assert (grade.error.line, grade.error.code) == (5, "x = torch.empty(10**11)")


@pytest.mark.needs_memory_limit
def test_bytearray_loop_is_memory(grade_code, tmp_path):
    code = "def q_backward(a, b):\n    hoard = []\n    while True:\n        hoard.append(bytearray(10**7))\n"
    grade = grade_code(tmp_path, code, memory_mb=128)
    assert_not_graded(grade, "memory")  # stopped by the limit, not by the timeout
    assert grade.error.message.startswith("MemoryError")
    assert grade.error.line == 4


# --------------------------------------------------------------------------------------------------- exits and signals


@pytest.mark.parametrize("code, during", [
    ("import os\nos._exit(0)\n", None),
    ("import os\n\n\ndef q_backward(a, b):\n    os._exit(0)\n", "during public trial 1 (seed 0)"),
    (CORRECT.replace("def q_backward(a, b):\n", "N = []\n\n\ndef q_backward(a, b):\n    N.append(1)\n"
                     "    if len(N) == 2:\n        import os\n        os._exit(0)\n"),
     "during public trial 2 (seed 1)"),
])
def test_os_exit_is_crash(grade_code, tmp_path, code, during):
    grade = grade_code(tmp_path, code)
    assert grade.error.kind == "crash"
    assert "the process ended before grading finished" in grade.error.message
    assert "called os._exit() or sys.exit()" in grade.error.message
    if during:
        assert during in grade.error.message
    assert grade.score == 0
    assert all(not c.passed and c.diagnosis == "crash" for c in grade.checks)


def test_exit_before_the_first_trial_does_not_blame_a_trial(grade_code, tmp_path):
    """BUG (grade.py, _interpret: `during = ... trials[ran].label`): when the child dies or hangs while the file
    is still loading (no 'loaded' message arrived), the report says 'during public trial 1 (seed 0)', sending the
    student to look inside their function; it should say the file was being loaded."""
    grade = grade_code(tmp_path, "import os\nos._exit(0)\n\n\ndef q_backward(a, b):\n    return a\n")
    assert grade.error.kind == "crash"
    assert "trial" not in grade.error.message, grade.error.message


@pytest.mark.parametrize("code, line, message", [
    ("import sys\nsys.exit()\n", 2, "SystemExit"),
    ("raise SystemExit(3)\n", 1, "SystemExit: 3"),
])
def test_system_exit_at_import_is_reported_not_raised(grade_code, tmp_path, code, line, message):
    grade = grade_code(tmp_path, code)  # returns: SystemExit never reaches the grading process
    assert_not_graded(grade, "exception")
    assert grade.error.message.startswith(message)
    assert "while loading the file" in grade.error.message
    assert grade.error.line == line


def test_system_exit_in_function_is_exception(grade_code, tmp_path):
    grade = grade_code(tmp_path, "import sys\n\n\ndef q_backward(a, b):\n    sys.exit(4)\n")
    assert_not_graded(grade, "exception")
    assert grade.error.message == "SystemExit: 4 (in q_backward(), line 5: sys.exit(4))"


def test_segfault_is_crash_naming_the_signal(grade_code, tmp_path):
    code = "import os, signal\n\n\ndef q_backward(a, b):\n    os.kill(os.getpid(), signal.SIGSEGV)\n"
    grade = grade_code(tmp_path, code)
    assert_not_graded(grade, "crash")
    assert "killed by SIGSEGV" in grade.error.message
    assert "during public trial 1 (seed 0)" in grade.error.message


# --------------------------------------------------------------------------------------------------- errors in the code


def test_exception_names_student_line_and_hides_grader_frames(grade_code, tmp_path):
    code = """\
import torch


def reshape(x):
    return x.view(7, 7)


def q_backward(a, b):
    Q = reshape(3 * a**3 - b**2)
    return Q
"""
    grade = grade_code(tmp_path, code)
    assert_not_graded(grade, "exception")
    error = grade.error
    assert (error.line, error.code) == (5, "return x.view(7, 7)")
    assert error.message.startswith("RuntimeError: shape '[7, 7]' is invalid for input of size 5")
    assert error.message.endswith("(in q_backward(), line 5: return x.view(7, 7))")
    for leak in ("grader/", "child.py", "observe.py", "torch/", "Traceback", str(REPO)):
        assert leak not in error.message
        assert all(leak not in c.message for c in grade.checks)


def test_exception_on_a_later_trial_names_it(grade_code, tmp_path):
    code = CORRECT.replace("    return Q\n", "    if len(a) == 3:\n        raise ValueError('three')\n"
                           "    return Q\n")  # public seed 1 makes tensors of length 3
    grade = grade_code(tmp_path, code)
    assert grade.error.kind == "exception"
    assert grade.error.message == "ValueError: three (in q_backward(), line 8: raise ValueError('three'))"
    assert all(c.trial == "public trial 2 (seed 1)" and c.diagnosis == "exception" for c in grade.checks)
    assert grade.score == 0


def test_syntax_error_names_line(grade_code, tmp_path):
    grade = grade_code(tmp_path, "import torch\n\n\ndef q_backward(a, b)\n    return a\n")
    assert_not_graded(grade, "syntax")
    assert grade.error.line == 4
    assert grade.error.message.startswith("line 4: ")
    assert "expected ':'" in grade.error.message
    assert grade.error.code == "def q_backward(a, b)"


def test_missing_function_lists_what_the_file_defines(grade_code, tmp_path):
    code = "from os.path import join\n\n\ndef q_backwards(a, b):\n    pass\n\n\nclass Helper:\n    pass\n\n\nx = 1\n"
    grade = grade_code(tmp_path, code)
    assert_not_graded(grade, "missing")
    message = grade.error.message
    assert "does not define q_backward()" in message
    assert "it defines Helper, q_backwards." in message  # not join (imported), not x (not callable)
    assert "q_backward(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor" in message


def test_missing_function_in_empty_file(grade_code, tmp_path):
    grade = grade_code(tmp_path, "")
    assert_not_graded(grade, "missing")
    assert "it defines no functions" in grade.error.message


def test_non_utf8_source_is_syntax(grade_code, tmp_path):
    grade = grade_code(tmp_path, b"import torch\n\n\ndef q_backward(a, b):\n    return '\xff\xfe'\n")
    assert_not_graded(grade, "syntax")
    assert grade.error.line == 5
    assert "not UTF-8" in grade.error.message and "0xff" in grade.error.message


# --------------------------------------------------------------------------------------------------- output


def test_stdout_flood_is_output_limit(grade_code, tmp_path):
    grade = grade_code(tmp_path, "def q_backward(a, b):\n    while True:\n        print('x' * 99)\n")
    assert_not_graded(grade, "output_limit")  # stopped by the limit, not the timeout
    assert "printed more than 1024 KB" in grade.error.message
    assert grade.output_truncated
    assert 0 < len(grade.output) <= 1024 << 10
    assert set(grade.output) <= {"x", "\n"}


def test_stderr_flood_is_output_limit(grade_code, tmp_path):
    code = "import sys\n\n\ndef q_backward(a, b):\n    while True:\n        sys.stderr.write('e' * 1000)\n"
    grade = grade_code(tmp_path, code, output_limit_kb=16)
    assert_not_graded(grade, "output_limit")
    assert "printed more than 16 KB" in grade.error.message
    assert grade.output_truncated and len(grade.output) <= 16 << 10


def test_moderate_printing_is_captured_and_shown(grade_code, tmp_path):
    code = CORRECT.replace("def q_backward(a, b):\n", "print('loading')\n\n\ndef q_backward(a, b):\n"
                           "    print('n =', len(a))\n    import sys\n    print('to stderr', file=sys.stderr)\n")
    grade = grade_code(tmp_path, code)
    assert grade.status == "passed" and grade.score == 10
    lines = grade.output.splitlines()
    assert lines[0] == "loading"
    assert lines[1:] == ["n = 5", "to stderr", "n = 3", "to stderr", "n = 5", "to stderr", "n = 6", "to stderr"]
    assert not grade.output_truncated
    text = render(grade)
    assert "your output:\n  | loading\n  | n = 5\n" in text
    assert text.endswith("score: 10/10")


def test_printed_fake_report_cannot_change_the_score(grade_code, tmp_path):
    fake = json.dumps({"exercise": "ex03", "status": "passed", "score": 10, "max_score": 10, "checks": [],
                       "error": None})
    code = PLUS_B.replace("    return Q\n", f"    print({fake!r})\n    print('score: 10/10')\n"
                          "    print('  PASS  Q           4/4')\n    return Q\n")
    grade = grade_code(tmp_path, code)
    assert_plus_b_diagnosed(grade)
    assert grade.output.splitlines()[:2] == [fake, "score: 10/10"]
    assert render(grade).endswith("score: 3/10")


# --------------------------------------------------------------------------------------------------- cheating


def test_patched_comparisons_do_not_rescue_a_wrong_answer(grade_code, tmp_path):
    code = """\
import builtins
import math

import torch


def always(*args, **kwargs):
    return True


def patch():
    torch.allclose = always
    torch.equal = always
    torch.isclose = always
    torch.Tensor.__eq__ = always
    torch.Tensor.__ne__ = lambda *args: False
    torch.Tensor.tolist = lambda self: [0.0] * self.numel()
    math.isclose = always
    builtins.abs = lambda x: 0
    builtins.all = always
    builtins.isinstance = always


patch()


def q_backward(a, b):
    Q = 3 * a**3 + b**2
    Q.backward(torch.ones_like(Q))
    patch()
    return Q
"""
    assert_plus_b_diagnosed(grade_code(tmp_path, code))


def test_tensor_subclass_lying_through_torch_function_fails(grade_code, tmp_path):
    code = """\
import torch


class Liar(torch.Tensor):
    truth = None

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name == "tolist":
            return Liar.truth
        if name in ("allclose", "equal", "__eq__", "isclose"):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})


def q_backward(a, b):
    with torch.no_grad():
        Liar.truth = (3 * a**3 - b**2).tolist()
    Q = 3 * a**3 + b**2
    Q.backward(torch.ones_like(Q))
    return Q.detach().as_subclass(Liar)
"""
    grade = grade_code(tmp_path, code)
    assert grade.error is None
    by_name = {c.name: c for c in grade.checks}
    assert not by_name["Q"].passed and by_name["Q"].diagnosis == "type"
    assert "tensor subclass 'Liar'" in by_name["Q"].message
    assert by_name["a.grad"].passed
    assert not by_name["b.grad"].passed and by_name["b.grad"].diagnosis == "sign"
    assert grade.score == 3.0


def test_reference_inherited_through_fork_cannot_be_called(grade_code, tmp_path):
    """BUG (child.py ChildPlan / sandbox.start): the forked child inherits the whole Exercise, including the
    reference solution's source (and the oracle in the parent's frames), so a submission that never computes
    Q can find it through its caller's frames, run it, and score full marks. The child's docstring says it
    'never sees tolerances, points or messages'; it sees all of them, and the answer."""
    code = """\
import sys

import torch


def q_backward(a, b):
    frame = sys._getframe(1)
    while frame is not None and "plan" not in frame.f_locals:
        frame = frame.f_back
    if frame is None:
        return a * 0
    namespace = {"torch": torch}
    exec(frame.f_locals["plan"].exercise.reference.source, namespace)
    return namespace["q_backward"](a, b)
"""
    grade = grade_code(tmp_path, code)
    assert grade.score == 0, "the submission scored by running the exercise's reference solution"


def test_garbage_on_the_result_pipe_is_crash(grade_code, tmp_path):
    code = """\
import os


def q_backward(a, b):
    for name in os.listdir("/proc/self/fd"):
        if int(name) > 2:
            try:
                os.write(int(name), b"\\xff\\x00\\x00\\x10garbage" * 100)
            except OSError:
                pass
    os._exit(0)
"""
    grade = grade_code(tmp_path, code)
    assert_not_graded(grade, "crash")
    assert "malformed result" in grade.error.message


def _forging(*messages: object, at_import: bool = False) -> str:
    """A submission that writes these framed messages to every descriptor above 2, then exits."""
    data = b"".join(frame(json.dumps(m).encode()) for m in messages)
    body = (f"for name in os.listdir('/proc/self/fd'):\n"
            f"    if int(name) > 2:\n"
            f"        try:\n"
            f"            os.write(int(name), {data!r})\n"
            f"        except OSError:\n"
            f"            pass\n"
            f"os._exit(0)\n")
    if at_import:
        return "import os\n" + body
    return "import os\n\n\ndef q_backward(a, b):\n" + "".join(f"    {line}\n" for line in body.splitlines())


def _tensor(values: list, **fields: object) -> dict:
    node = {"t": "tensor", "ref": 0, "cls": "Tensor", "shape": [len(values)], "numel": len(values),
            "dtype": "float32", "param": False, "requires_grad": False, "is_leaf": True, "grad_fn": None,
            "storage": 0, "data": values, "grad": None}
    node.update(fields)
    return node


def _trial(index: object, q: object) -> dict:
    return {"kind": "trial", "index": index, "seconds": 0.01, "autograd_calls": 1,
            "values": {"returns": {"Q": q}, "args": {}, "probes": {}}}


FORGED = {
    # each passes protocol.check_message today, then raises inside grade._interpret or compare in the parent
    "syntax error without line": _forging({"kind": "error", "error": {"kind": "syntax", "message": "x"}},
                                          at_import=True),
    "syntax error without code": _forging({"kind": "error", "error": {"kind": "syntax", "message": "x",
                                                                      "line": 3}}, at_import=True),
    "missing with numbers as names": _forging({"kind": "error", "error": {"kind": "missing", "message": "q",
                                                                          "defined": [1, 2]}}, at_import=True),
    "missing with a number as names": _forging({"kind": "error", "error": {"kind": "missing", "message": "q",
                                                                           "defined": 5}}, at_import=True),
    "float trial index": _forging(_trial(0.0, _tensor([1.0]))),
    "more trials than planned": _forging(*[_trial(i, _tensor([1.0])) for i in range(5)]),
    "float tag with bad text": _forging(_trial(0, {"t": "float", "text": "abc"})),
    "float tag without text": _forging(_trial(0, {"t": "float"})),
    "int too large for a float": _forging(_trial(0, _tensor([10**400]))),
}


@pytest.mark.parametrize("code", list(FORGED.values()), ids=list(FORGED))
def test_forged_result_messages_are_crash_not_grader_exception(grade_code, tmp_path, code):
    """BUG (protocol.check_message / check_value accept these; grade._interpret and compare.as_tensor then raise
    KeyError, TypeError, IndexError, ValueError or OverflowError in the grading process). A child that writes
    well-framed JSON of the wrong shape must be graded as a crash with a malformed result."""
    grade = grade_code(tmp_path, code)  # must not raise
    assert grade.error is not None and grade.error.kind == "crash", grade.error
    assert "malformed" in grade.error.message
    assert grade.score == 0


# --------------------------------------------------------------------------------------------------- confinement


SPAWN = """\
import subprocess

child = subprocess.Popen(["sleep", "{marker}"], start_new_session={new_session})
print("GRANDCHILD", child.pid, flush=True)
""" + CORRECT


def _sleeping(marker: str) -> list[int]:
    """Host pids of live `sleep MARKER` processes: the child's own pids mean nothing outside its PID namespace."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes() == f"sleep\0{marker}\0".encode() \
                    and _state(int(entry.name)) not in (None, "Z", "X"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _spawned_grandchild_outlives_grading(grade_code, tmp_path, *, new_session: bool) -> list[int]:
    marker = f"1000.{random.randrange(10**9)}"  # sleep takes fractions: a command line no other process has
    grade = grade_code(tmp_path, SPAWN.format(marker=marker, new_session=new_session))
    assert grade.status == "passed" and re.search(r"GRANDCHILD \d+", grade.output), grade.output
    deadline = time.monotonic() + 2.0
    while (left := _sleeping(marker)) and time.monotonic() < deadline:
        time.sleep(0.02)
    for pid in left:  # the escaped sleep started by this test
        os.kill(pid, signal.SIGKILL)
    return left


def test_grandchild_process_is_killed(grade_code, tmp_path):
    assert _spawned_grandchild_outlives_grading(grade_code, tmp_path, new_session=False) == []


@pytest.mark.needs_linux_sandbox  # the portable runner kills the process group only (docs/security.md)
def test_grandchild_in_its_own_session_is_killed(grade_code, tmp_path):
    """BUG (sandbox.py RunningChild._kill): cleanup is os.killpg(child pid), so a grandchild that leaves the
    process group (start_new_session=True, setsid, a double-forked daemon) keeps running after grading,
    outliving every limit. Kill all descendants (e.g. PR_SET_CHILD_SUBREAPER, a cgroup, or a pid namespace)."""
    assert _spawned_grandchild_outlives_grading(grade_code, tmp_path, new_session=True) == []


def test_working_directory_is_a_fresh_temp_dir_removed_afterwards(grade_code, tmp_path):
    code = CORRECT.replace("def q_backward(a, b):\n", "import os\nprint('CWD', os.getcwd())\n"
                           "print('HOME', os.environ['HOME'])\nopen('left_behind.txt', 'w').write('x')\n\n\n"
                           "def q_backward(a, b):\n")
    grade = grade_code(tmp_path, code)
    assert grade.status == "passed"
    found = dict(line.split(" ", 1) for line in grade.output.splitlines())
    workdir = Path(found["CWD"])
    assert found["HOME"] == str(workdir)
    assert workdir.parent == Path(tempfile.gettempdir())
    assert workdir.name.startswith("grade-")
    assert workdir != Path.cwd() and workdir != tmp_path
    assert not workdir.exists()
    assert not (tmp_path / "left_behind.txt").exists() and not (Path.cwd() / "left_behind.txt").exists()


def test_each_run_gets_its_own_working_directory(grade_code, tmp_path):
    code = "import os\nprint(os.getcwd())\n" + CORRECT
    first = grade_code(tmp_path, code, name="one.py").output.strip()
    second = grade_code(tmp_path, code, name="two.py").output.strip()
    assert first != second


def test_environment_is_scrubbed(grade_code, tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_TEST_SECRET", "hunter2-do-not-leak")
    code = "import os\nprint(dict(os.environ))\nprint(os.environ.get('GRADER_TEST_SECRET'))\n" + CORRECT
    grade = grade_code(tmp_path, code)
    assert grade.status == "passed"
    printed, secret = grade.output.splitlines()
    assert secret == "None"
    assert "hunter2" not in grade.output and "GRADER_TEST_SECRET" not in grade.output
    env = eval(printed)  # noqa: S307 - our own submission's print of a dict of strings
    assert set(env) == {"PATH", "HOME", "TMPDIR", "LANG", "OMP_NUM_THREADS"}


@pytest.mark.needs_linux_sandbox  # the portable runner leaves /proc/<parent>/environ readable (docs/security.md)
def test_grading_process_startup_environment_is_not_readable(grade_code, tmp_path):
    """BUG (child.py _confine): os.environ.clear() leaves the process's original environment block in memory:
    /proc/self/environ (and /proc/<parent>/environ, same user) still shows every variable the grading process
    was started with, so a secret it was started with (a CI or API token) is readable by the submission."""
    scrubbed = {"PATH", "HOME", "TMPDIR", "LANG", "OMP_NUM_THREADS"}
    startup = [entry.decode(errors="replace") for entry in Path("/proc/self/environ").read_bytes().split(b"\0")
               if b"=" in entry and entry.split(b"=", 1)[0].decode(errors="replace") not in scrubbed
               and len(entry.split(b"=", 1)[1]) >= 4]
    if not startup:
        pytest.skip("this test process was started without environment variables to look for")
    code = ("import os\n"
            "for path in ('/proc/self/environ', f'/proc/{os.getppid()}/environ'):\n"
            "    try:\n"
            "        print(path, open(path, 'rb').read().replace(b'\\0', b'\\n').decode(errors='replace'))\n"
            "    except OSError as exc:\n"
            "        print(path, 'unreadable', exc.errno)\n" + CORRECT)
    grade = grade_code(tmp_path, code)
    assert grade.status == "passed"
    read_it = "/proc/self/environ" in grade.output  # a plain bool: a failure must not print the environment
    assert read_it
    shown = set(grade.output.splitlines())
    leaked = sorted(entry.split("=", 1)[0] for entry in startup if entry in shown)
    assert not leaked, f"the submission read the grading process's startup variables {leaked}"


def test_stdin_is_empty(grade_code, tmp_path):
    code = "import os, sys\nprint(repr(sys.stdin.read()), repr(os.read(0, 100)))\n" + CORRECT
    grade = grade_code(tmp_path, code)
    assert grade.status == "passed"
    assert grade.output == "'' b''\n"


def test_input_call_fails_instead_of_waiting(grade_code, tmp_path):
    grade = grade_code(tmp_path, "def q_backward(a, b):\n    return input('x? ')\n")
    assert_not_graded(grade, "exception")
    assert grade.error.message.startswith("EOFError")
    assert grade.seconds < 2


def test_inputs_are_fresh_per_trial(grade_code, tmp_path):
    code = """\
import torch

SEEN = []


def q_backward(a, b):
    print(id(a) in SEEN, a.grad is None, b.grad is None, bool((a == 0).all()), a.requires_grad, a.is_leaf)
    SEEN.extend([id(a), id(b)])
    KEEP.append((a, b))
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    with torch.no_grad():
        a.zero_()  # vandalise this trial's inputs: the next trial must not see it
        b.zero_()
    return Q


KEEP = []
"""
    grade = grade_code(tmp_path, code)
    assert grade.output.splitlines() == ["False True True False True True"] * 4  # 2 public + 2 hidden trials
    assert grade.status == "passed" and grade.score == 10


WRONG_ON_HIDDEN = """\
import torch

CALLS = []


def q_backward(a, b):
    CALLS.append(1)
    sign = 1 if len(CALLS) <= 2 else -1  # right on the two public trials, wrong on the hidden ones
    Q = 3 * a**3 - sign * b**2
    Q.backward(torch.ones_like(Q))
    return Q
"""


def test_hidden_seeds_reproduce(grade_code, tmp_path):
    first = grade_code(tmp_path, WRONG_ON_HIDDEN, name="one.py", seeds=(777, 778))
    second = grade_code(tmp_path, WRONG_ON_HIDDEN, name="two.py", seeds=(777, 778))
    other = grade_code(tmp_path, WRONG_ON_HIDDEN, name="three.py", seeds=(5000, 5001))

    def summary(grade):
        return [(c.name, c.passed, c.score, c.diagnosis, c.trial, c.message) for c in grade.checks]

    assert first.hidden_seeds == second.hidden_seeds == (777, 778)
    assert first.score == 3.0
    by_name = {c.name: c for c in first.checks}
    assert by_name["Q"].trial == by_name["b.grad"].trial == "hidden trial 3 (seed 777)"
    assert by_name["b.grad"].diagnosis == "sign" and by_name["a.grad"].passed
    assert summary(first) == summary(second)
    assert other.hidden_seeds == (5000, 5001)
    assert by_name["Q"].message != {c.name: c for c in other.checks}["Q"].message
    assert {c.name: c for c in other.checks}["Q"].trial == "hidden trial 3 (seed 5000)"


FORGED_HUGE_MESSAGE = """
import json, os, struct
fd = max(int(n) for n in os.listdir('/proc/self/fd') if int(n) > 2 and os.path.exists(f'/proc/self/fd/{n}')
         and os.readlink(f'/proc/self/fd/{n}').startswith('pipe:'))
error = {"kind": "exception", "type": "Boom", "message": "A" * (26 << 20), "frames": []}
payload = json.dumps({"kind": "error", "error": error}).encode()
os.write(fd, struct.pack(">I", len(payload)))
while payload:
    payload = payload[os.write(fd, payload):]
os._exit(0)
"""


def test_a_forged_frame_with_a_huge_message_makes_a_short_report(grade_code, tmp_path):
    grade = grade_code(tmp_path, FORGED_HUGE_MESSAGE)
    assert grade.error is not None and grade.error.kind == "exception"
    assert "Boom: AAAA" in grade.error.message and "cut by the grader" in grade.error.message
    assert len(render(grade)) < 100_000
