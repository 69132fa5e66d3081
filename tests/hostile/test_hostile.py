"""The hostile-submission suite: every file beside this one is an answer that attacks the grader.

Each file opens with comment lines declaring what it does and the grade it must get:

    # attack: one line, also shown in docs/security.md
    # expect-error: KIND        not graded: every check fails with diagnosis KIND, score 0, status error
    # expect-status: STATUS     passed | failed | error
    # expect-score: N           the exact score out of 10
    # expect-score-below: N
    # limits: key=value ...     sandbox limit overrides for this file (timeout_s=2, memory_mb=256)
    # needs: WHAT               namespaces, own_process_tree or cgroups: skipped, naming the level reached, where
                                the machine lacks it
    # exercise: ID              the exercise answered (default ex03; only files in a folder named after it)

Files are graded with the session's shared launcher (conftest.grade_code: ex03, 3 s, fixed hidden seeds), except
kill_parent.py, which gets a private launcher because it kills it, and files for other exercises. Placeholders such
as @REPO@ are replaced before grading (see SETUPS). EXTRA holds further assertions per file. docs/security.md maps
every file to its attack and outcome.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import secrets
import select
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import HIDDEN_SEEDS, REPO, SPAWNER, TIMEOUT_S, _course, grade_code

pytest.importorskip("resource", reason="the hostile suite attacks the fork runner's Linux sandbox")
from grader.sandbox.confine import CAPPED  # noqa: E402 - after the skip: confine imports resource
from grader.export import grade_to_dict
from grader.sandbox.isolate import OWN_PROCESSES, STRONG
from grader.report import render
from grader.result import MAX_NOTES, MAX_TEXT, Grade
from grader.source import read_submission

pytestmark = pytest.mark.needs_linux_sandbox  # the fork runner's Linux isolation; skipped on the portable runner

HERE = Path(__file__).resolve().parent
KEYS = {"attack", "expect-error", "expect-status", "expect-score", "expect-score-below", "limits", "needs", "exercise"}
EX03_CHECKS = ["Q", "a.grad", "b.grad"]
SECRET_NAME = "HOSTILE_GRADER_SECRET"


@dataclass(frozen=True)
class Case:
    path: Path
    data: bytes
    header: dict

    @property
    def name(self) -> str:
        return self.path.relative_to(HERE).as_posix()

    @property
    def exercise(self) -> str:
        return self.header.get("exercise", "ex03")

    @property
    def limits(self) -> dict:
        found = {}
        for item in self.header.get("limits", "").split():
            key, value = item.split("=", 1)
            found[key] = {"true": True, "false": False}.get(value, None)
            if found[key] is None:
                found[key] = float(value) if "." in value else int(value)
        return found

    @property
    def timeout(self) -> float:
        return float(self.limits.get("timeout_s", TIMEOUT_S))


def read_header(data: bytes) -> dict:
    header: dict = {}
    for raw in data.splitlines():
        line = raw.decode("utf-8", errors="replace")
        if not line.startswith("#"):
            break
        key, sep, value = line[1:].strip().partition(":")
        assert sep and key in KEYS, f"unknown header line {line!r}"
        assert key not in header, f"{key} declared twice"
        header[key] = value.strip()
    return header


def load_cases() -> list[Case]:
    paths = sorted(p for p in HERE.glob("*.py") if not p.name.startswith(("test_", "conftest")))
    paths += sorted(p for p in HERE.glob("ex*/*.py"))
    return [Case(p, p.read_bytes(), read_header(p.read_bytes())) for p in paths]


CASES = load_cases()


# ------------------------------------------------------------------------------------------------ helpers


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _still_running(pids: list[int], wait: float = 2.0) -> list[int]:
    """The pids that still run `wait` seconds from now (a zombie counts as ended)."""
    deadline = time.monotonic() + wait
    while True:
        left = [pid for pid in pids if _state(pid) not in (None, "Z", "X")]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


MARKED_COMMS = ("hostile-fork", "hostile-daemon", "hostile-orphan")  # names the attacks give their processes
MARKED_ARG = b"1000.0424242"  # the argument of setsid_leftover.py's sleep


def _marked() -> list[int]:
    """Processes an attack started and marked (by name or argument) that still run, seen from here."""
    found = []
    for pid in (int(entry) for entry in os.listdir("/proc") if entry.isdigit()):
        marked = _comm(pid) in MARKED_COMMS or MARKED_ARG in _cmdline(pid).split(b"\0")
        if marked and _state(pid) not in (None, "Z", "X"):
            found.append(pid)
    return found


def _marked_after(wait: float = 2.0) -> list[int]:
    deadline = time.monotonic() + wait
    while _marked() and time.monotonic() < deadline:
        time.sleep(0.05)
    return _marked()


def _kill_marked() -> None:
    for pid in _marked():
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)


def _printed_pids(grade: Grade, tag: str) -> list[int]:
    return [int(m) for m in re.findall(rf"^{tag} (\d+)$", grade.output, re.MULTILINE)]


NEEDS = ("namespaces", "own_process_tree", "cgroups")  # what a case may declare under `needs:`


def _reached(grade: Grade, needs: str) -> bool:
    """Whether the level reached has what a case needs (a partly isolated 'namespaces (...)' counts: it must fail)."""
    if grade.sandbox.startswith("baseline"):
        return False
    if needs == "own_process_tree":
        return grade.sandbox.endswith(OWN_PROCESSES)
    return needs != "cgroups" or CAPPED in grade.sandbox


def _strong(grade: Grade) -> bool:
    return grade.sandbox.startswith(STRONG)


def _by_name(grade: Grade) -> dict:
    return {c.name: c for c in grade.checks}


def _everything_shown(grade: Grade) -> str:
    return "\n".join([grade.output, render(grade), json.dumps(grade_to_dict(grade))])


def _pending(listener: socket.socket) -> list[bytes]:
    """What clients sent to a listening socket that nobody accepted yet (the kernel completes connections alone)."""
    received = []
    while select.select([listener], [], [], 0.2)[0]:
        connection, _ = listener.accept()
        with connection:
            connection.settimeout(1)
            received.append(connection.recv(1000))
    return received


# ------------------------------------------------------------------------------------------------ setups


@contextlib.contextmanager
def _repo_setup(tmp_path: Path, monkeypatch) -> Iterator[dict]:
    yield {"@REPO@": str(REPO)}


def _snapshot(folders: tuple[Path, ...]) -> dict:
    found = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                info = path.stat()
                found[path] = (path.read_bytes(), info.st_mode, info.st_mtime_ns)
    return found


@contextlib.contextmanager
def _course_files_guard(tmp_path: Path, monkeypatch) -> Iterator[dict]:
    """Record the course files before grading; afterwards put back anything the attack changed."""
    folders = (REPO / "solutions", REPO / "exercises")
    planted = REPO / "planted_by_submission.txt"
    before = _snapshot(folders)
    context = {"@REPO@": str(REPO), "before": before, "folders": folders, "planted": planted}
    try:
        yield context
    finally:
        after = _snapshot(folders)
        for path in set(after) - set(before):
            path.unlink()
        for path, (data, mode, mtime) in before.items():
            if after.get(path) != (data, mode, mtime):
                path.write_bytes(data)
                os.chmod(path, mode)
                os.utime(path, ns=(mtime, mtime))
        if planted.exists():
            planted.unlink()


@contextlib.contextmanager
def _secret_setup(tmp_path: Path, monkeypatch) -> Iterator[dict]:
    secret = "s3cr3t-" + secrets.token_hex(12)
    monkeypatch.setenv(SECRET_NAME, secret)
    yield {"secret": secret}


@contextlib.contextmanager
def _tcp_setup(tmp_path: Path, monkeypatch) -> Iterator[dict]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield {"@PORT@": str(listener.getsockname()[1]), "listeners": [listener]}


@contextlib.contextmanager
def _unix_setup(tmp_path: Path, monkeypatch) -> Iterator[dict]:
    path = tmp_path / "service.sock"
    abstract = f"hostile-grader-{secrets.token_hex(8)}"
    with socket.socket(socket.AF_UNIX) as on_disk, socket.socket(socket.AF_UNIX) as in_abstract:
        on_disk.bind(str(path))
        in_abstract.bind("\0" + abstract)
        for listener in (on_disk, in_abstract):
            listener.listen(8)
        yield {"@UNIX_SOCKET@": str(path), "@ABSTRACT_SOCKET@": abstract, "listeners": [on_disk, in_abstract]}


@contextlib.contextmanager
def _marker_setup(tmp_path: Path, monkeypatch) -> Iterator[dict]:
    marker = tmp_path / "marker.txt"
    yield {"@MARKER_PATH@": str(marker), "marker": marker}


@contextlib.contextmanager
def _shm_setup(tmp_path: Path, monkeypatch) -> Iterator[dict]:
    path = Path(f"/dev/shm/hostile-grader-{secrets.token_hex(8)}")
    try:
        yield {"@SHM_PATH@": str(path), "shm": path}
    finally:
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def _leftover_guard(tmp_path: Path, monkeypatch) -> Iterator[dict]:
    """Whatever the outcome, kill what the attack marked and left running (only those: found by their marks)."""
    try:
        yield {}
    finally:
        _kill_marked()


def _abandoned_workdirs() -> list[Path]:
    """Working folders kill_parent.py marked (other gradings may run on this machine: only marked ones count)."""
    return sorted(Path(tempfile.gettempdir()).glob("grade-*/hostile-left-behind"))


@contextlib.contextmanager
def _launcher_guard(tmp_path: Path, monkeypatch) -> Iterator[dict]:
    """kill_parent.py: afterwards kill what it left running and remove the working folder it marked."""
    try:
        yield {}
    finally:
        _kill_marked()
        for marker in _abandoned_workdirs():
            marker.unlink()
            with contextlib.suppress(OSError):
                marker.parent.rmdir()


def _sysv_ipc(kind: str) -> tuple[Callable, Callable]:
    """msgget/shmget and msgctl/shmctl of this process's libc, which sees the grading process's IPC namespace."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    return getattr(libc, f"{kind}get"), getattr(libc, f"{kind}ctl")


def _sysv_key() -> int:
    return 0x4B1D0000 | secrets.randbelow(1 << 16)  # marked: the test finds what an attack left by its key


def _shm_keys() -> set[int]:
    lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return {int(line.split()[0]) for line in lines}


def _remove_sysv(kind: str, key: int) -> None:
    get, ctl = _sysv_ipc(kind)
    found = get(key, 0, 0) if kind == "shm" else get(key, 0)
    if found >= 0:
        ctl(found, 0, None)  # IPC_RMID


@contextlib.contextmanager
def _sysv_shm_setup(tmp_path: Path, monkeypatch) -> Iterator[dict]:
    key = _sysv_key()
    try:
        yield {"@SHM_KEY@": str(key), "key": key}
    finally:
        _remove_sysv("shm", key)


@contextlib.contextmanager
def _sysv_msg_setup(tmp_path: Path, monkeypatch) -> Iterator[dict]:
    key = _sysv_key()
    code = (HERE / "sysv_msgqueue_channel.py").read_text().replace("@MSG_KEY@", str(key))
    later = tmp_path / "later"
    later.mkdir()
    try:
        yield {"@MSG_KEY@": str(key), "key": key, "later": lambda: grade_code(later, code, name="later.py")}
    finally:
        _remove_sysv("msg", key)


def _autogroup_nice(pid: int | str) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


@contextlib.contextmanager
def _autogroup_guard(tmp_path: Path, monkeypatch) -> Iterator[dict]:
    """Record this process's autogroup nice (and the machine's init's); put back whatever the attack changed."""
    before = {pid: _autogroup_nice(pid) for pid in ("self", 1)}
    if before["self"] is None:
        pytest.skip("this kernel has no autogroups (/proc/self/autogroup)")
    try:
        yield {"nice": before["self"]}
    finally:
        for pid, nice in before.items():
            if nice is not None and _autogroup_nice(pid) != nice:
                with contextlib.suppress(OSError):
                    Path(f"/proc/{pid}/autogroup").write_text(str(nice))


SETUPS: dict[str, Callable] = {
    "read_solutions.py": _repo_setup,
    "write_course_folders.py": _course_files_guard,
    "env_secret.py": _secret_setup,
    "grader_memory.py": _secret_setup,
    "network_tcp.py": _tcp_setup,
    "network_unix_socket.py": _unix_setup,
    "evil_reduce.py": _marker_setup,
    "dev_shm_leftover.py": _shm_setup,
    "fork_bomb.py": _leftover_guard,
    "setsid_leftover.py": _leftover_guard,
    "kill_parent.py": _launcher_guard,
    "sysv_shm_leftover.py": _sysv_shm_setup,
    "sysv_msgqueue_channel.py": _sysv_msg_setup,
    "autogroup_nice.py": _autogroup_guard,
}


# ------------------------------------------------------------------------------------------------ graders


def _grade_with_private_launcher(tmp_path: Path, code: bytes, case: Case) -> Grade:
    """kill_parent.py kills its launcher: give it one of its own, forked from this (warmed-up) test process."""
    from grader.grade import grade_submission
    from grader.sandbox.spawner import Spawner

    settings, exercise, oracle = _course()
    path = tmp_path / case.path.name
    path.write_bytes(code)
    spawner = Spawner()
    try:
        return grade_submission(exercise, read_submission(path), settings.with_overrides(timeout_s=TIMEOUT_S,
                                **case.limits), seeds=HIDDEN_SEEDS, oracle=oracle, spawner=spawner)
    finally:
        spawner.close()
        assert _state(spawner.pid) is None, "the private launcher was not reaped"


@functools.cache
def _other_course(exercise_id: str):
    from grader.exercise import load_exercise
    from grader.oracle import build_oracle

    settings = _course()[0]
    exercise = load_exercise(settings.exercises_dir, exercise_id)
    return settings, exercise, build_oracle(exercise)


def _grade_other_exercise(tmp_path: Path, code: bytes, case: Case) -> Grade:
    from grader.grade import grade_submission

    settings, exercise, oracle = _other_course(case.exercise)
    path = tmp_path / case.path.name
    path.write_bytes(code)
    return grade_submission(exercise, read_submission(path), settings.with_overrides(timeout_s=TIMEOUT_S,
                            **case.limits), seeds=HIDDEN_SEEDS, oracle=oracle, spawner=SPAWNER)


def _grade(tmp_path: Path, code: bytes, case: Case) -> Grade:
    if case.name == "kill_parent.py":
        return _grade_with_private_launcher(tmp_path, code, case)
    if case.exercise != "ex03":
        return _grade_other_exercise(tmp_path, code, case)
    return grade_code(tmp_path, code, name=case.path.name, **case.limits)


# ------------------------------------------------------------------------------------------------ extra checks


def _message_has(*parts: str) -> Callable:
    def check(grade: Grade, context: dict) -> None:
        for part in parts:
            assert part in grade.error.message, grade.error.message
    return check


def _timeout_message(grade: Grade, context: dict) -> None:
    assert "stopped after 2 s" in grade.error.message, grade.error.message


def _pids_gone(tag: str, *, at_least: int) -> Callable:
    def check(grade: Grade, context: dict) -> None:
        pids = _printed_pids(grade, tag)
        assert len(pids) >= at_least, grade.output[-500:]
        if not grade.sandbox.endswith(OWN_PROCESSES):  # printed pids are this machine's pids
            left = _still_running(pids)
            assert left == [], f"{len(left)} of the {len(pids)} processes it started still run: {left[:10]}"
        left = _marked_after()
        assert left == [], f"{len(left)} processes it started still run after grading: {left[:10]}"
    return check


def _kill_parent(grade: Grade, context: dict) -> None:
    if not grade.sandbox.endswith(OWN_PROCESSES):
        assert "launcher stopped answering" in grade.error.message, grade.error.message
    assert _state(os.getpid()) not in (None, "Z", "X")  # the grading process (this one) lives on
    left = _marked_after()
    kept = [str(marker.parent) for marker in _abandoned_workdirs()]
    assert (left, kept) == ([], []), (f"after killing its launcher the submission's process {left} still runs and "
                                      f"its working folder {kept} is still on disk: nothing enforces its time limit, "
                                      f"kills it or cleans up")


def _fake_report(grade: Grade, context: dict) -> None:
    assert '"status": "passed"' in grade.output and "score: 10/10" in grade.output
    assert render(grade).endswith("score: 3/10")
    _plus_b(grade, context)


def _plus_b(grade: Grade, context: dict) -> None:
    """The answer 3a³ + b²: a.grad right, Q and b.grad wrong by the sign of the b term."""
    checks = _by_name(grade)
    assert checks["a.grad"].passed
    assert (checks["Q"].diagnosis, checks["b.grad"].diagnosis) == ("sign", "sign")


def _liar(grade: Grade, context: dict) -> None:
    checks = _by_name(grade)
    assert not checks["Q"].passed and "tensor subclass 'Liar'" in checks["Q"].message
    assert checks["a.grad"].passed and checks["b.grad"].diagnosis == "sign"


def _evil_reduce(grade: Grade, context: dict) -> None:
    checks = _by_name(grade)
    assert not checks["Q"].passed and checks["a.grad"].passed and checks["b.grad"].passed
    marker: Path = context["marker"]
    text = marker.read_text() if marker.exists() else ""
    assert "pwned" not in text and f"pid {os.getpid()}\n" not in text, text  # never run by the grading process
    if _strong(grade):
        assert not marker.exists(), text  # nor by anyone: the child cannot write outside its folder


def _no_reference(grade: Grade, context: dict) -> None:
    assert "found the reference" not in grade.output
    _plus_b(grade, context)


def _huge(grade: Grade, context: dict) -> None:
    checks = _by_name(grade)
    assert checks["Q"].diagnosis == "value" and "too large to compare" in checks["Q"].message, checks["Q"]
    assert checks["a.grad"].passed and checks["b.grad"].passed
    assert grade.seconds < TIMEOUT_S


def _q_only_wrong(grade: Grade, context: dict) -> None:
    checks = _by_name(grade)
    assert not checks["Q"].passed and checks["Q"].diagnosis is not None
    assert checks["a.grad"].passed and checks["b.grad"].passed


def _wrong_type(check: str, *parts: str) -> Callable:
    """Only `check` fails, with diagnosis type and a message naming both kinds and the fix."""
    def verify(grade: Grade, context: dict) -> None:
        failed = {c.name: c for c in grade.checks if not c.passed}
        assert list(failed) == [check], grade.checks
        assert failed[check].diagnosis == "type", failed[check]
        for part in parts:
            assert part in failed[check].message, failed[check].message
    return verify


def _wrong_type_and_graph(grade: Grade, context: dict) -> None:
    """ex01's y as a float: its value check says type, and its grad_fn check cannot read a float's graph."""
    failed = {c.name: c for c in grade.checks if not c.passed}
    assert set(failed) == {"y", "y.grad_fn"}, grade.checks
    assert {c.diagnosis for c in failed.values()} == {"type"}, grade.checks
    assert failed["y"].message.startswith("y: got a Python float, expected a tensor"), failed["y"].message
    assert ".item()" in failed["y"].message


def _all_wrong(grade: Grade, context: dict) -> None:
    assert all(not c.passed and c.diagnosis for c in grade.checks), grade.checks


def _passwd(grade: Grade, context: dict) -> None:
    assert grade.output.startswith("first passwd entry: ")  # readable (documented), and worth nothing


def _solutions_hidden(grade: Grade, context: dict) -> None:
    lines = grade.output.splitlines()
    assert lines[:2] == ["solutions []", "exercises []"], lines
    assert not any(line.startswith("read ") for line in lines), lines
    _plus_b(grade, context)


def _course_unchanged(grade: Grade, context: dict) -> None:
    assert "WROTE" not in grade.output and "CHANGED" not in grade.output, grade.output
    assert _snapshot(context["folders"]) == context["before"], "the course files on disk changed"
    assert not context["planted"].exists()


def _secret_not_shown(*forbidden: str) -> Callable:
    def check(grade: Grade, context: dict) -> None:
        shown = _everything_shown(grade)
        assert context["secret"] not in shown  # a plain bool on failure: the message must not print the secret
        for word in forbidden:
            assert word not in grade.output, grade.output
    return check


def _no_connection(grade: Grade, context: dict) -> None:
    assert "CONNECTED" not in grade.output, grade.output
    received = [data for listener in context["listeners"] for data in _pending(listener)]
    assert received == [], f"the submission reached a service of the grading machine and sent {received}"


def _not_in_output(*words: str) -> Callable:
    def check(grade: Grade, context: dict) -> None:
        for word in words:
            assert word not in grade.output, grade.output
    return check


def _own_tree_and(check: Callable) -> Callable:
    def both(grade: Grade, context: dict) -> None:
        assert grade.sandbox.endswith(OWN_PROCESSES), grade.sandbox
        check(grade, context)
    return both


def _shm(grade: Grade, context: dict) -> None:
    assert not context["shm"].exists(), (f"{context['shm']} written by the submission outlives grading (and any "
                                         f"later submission can read it)")  # a private, throwaway /dev/shm is fine


def _memory_message(grade: Grade, context: dict) -> None:
    assert "held" not in grade.output, grade.output


def _bounded_report(grade: Grade, context: dict) -> None:
    """1,500 forged cell errors of 15,000 characters each: the report keeps MAX_NOTES notes of MAX_TEXT at most."""
    assert len(grade.notes) == MAX_NOTES and grade.notes[-1].startswith("... and 1451 more notes"), grade.notes[-1]
    assert all(len(note) <= MAX_TEXT for note in grade.notes)
    assert "cut by the grader" in grade.notes[0]
    assert len(json.dumps(grade_to_dict(grade))) < 300_000


def _by_hand_refused(diagnosis: str, opening: str) -> Callable[[Grade, dict], None]:
    """The attack computed the right gradients (8 of 10 points) and the source, read in the grader, shows how."""
    def check(grade: Grade, context: dict) -> None:
        by_hand = _by_name(grade)["by hand"]
        assert by_hand.diagnosis == diagnosis and by_hand.message.startswith(opening), by_hand
    return check


def _no_shm_left(grade: Grade, context: dict) -> None:
    assert grade.output.startswith("CREATED"), grade.output  # made, filled and left in its own IPC namespace
    assert context["key"] not in _shm_keys(), (f"the submission's 64 MB System V segment (key {context['key']:#x}) "
                                               f"outlives it in the grading machine's /proc/sysvipc/shm")


def _no_channel(grade: Grade, context: dict) -> None:
    later = context["later"]()  # a later submission, graded by the same launcher, reads the queue
    for run in (grade, later):
        assert run.status == "passed" and "SENT" in run.output, run.output
        assert "RECEIVED" not in run.output, f"a later submission read what an earlier one left: {run.output}"
    assert _sysv_ipc("msg")[0](context["key"], 0) == -1, "the submission's message queue outlives it on the host"


def _autogroup_kept(grade: Grade, context: dict) -> None:
    assert _autogroup_nice("self") == context["nice"], "the submission changed the grading session's CPU priority"
    assert "WROTE" not in grade.output, grade.output


def _nothing_writable_in_proc(grade: Grade, context: dict) -> None:
    assert "TRIED" in grade.output and "OPEN-W" not in grade.output, grade.output


def _sockets_refused(grade: Grade, context: dict) -> None:
    assert "CREATED" not in grade.output, grade.output
    assert grade.output.count("ALLOWED") == 3, grade.output  # IP sockets and stream socketpairs keep working


EXTRA: dict[str, Callable[[Grade, dict], None]] = {
    "loop_at_import.py": _timeout_message,
    "loop_in_function.py": _timeout_message,
    "sleep_forever.py": _timeout_message,
    "signal_ignoring_spin.py": _timeout_message,
    "memory_bomb_bytearray.py": _message_has("MemoryError"),
    "memory_bomb_tensor.py": _message_has("while loading the file"),
    "memory_outside_the_limit.py": _memory_message,
    "fork_bomb.py": _pids_gone("FORKED", at_least=1),
    "setsid_leftover.py": _pids_gone("LEFT", at_least=2),
    "kill_parent.py": _kill_parent,
    "exit_at_import.py": _message_has("while loading the file", "called os._exit() or sys.exit()"),
    "system_exit_at_import.py": _message_has("SystemExit", "while loading the file"),
    "segfault_ctypes.py": _message_has("killed by SIGSEGV", "during public trial 1"),
    "segfault_signal_at_import.py": _message_has("killed by SIGSEGV", "while loading the file"),
    "deep_recursion.py": _message_has("RecursionError"),
    "c_stack_overflow.py": _message_has("SIGSEGV"),
    "stdout_flood.py": _message_has("printed more than 1024 KB"),
    "frame_flood.py": _message_has("more than 5000 messages while loading the file", "result pipe"),
    "note_flood.py": _message_has("more than 50 notes while loading the file"),
    "result_flood.py": _message_has("more than 32 MB while loading the file"),
    "huge_error_texts.py": _bounded_report,
    "stderr_flood.py": _message_has("printed more than 1024 KB"),
    "fake_report.py": _fake_report,
    "patch_comparisons.py": _plus_b,
    "torch_function_liar.py": _liar,
    "evil_reduce.py": _evil_reduce,
    "search_memory_for_reference.py": _no_reference,
    "huge_return.py": _huge,
    "nested_return.py": _q_only_wrong,
    "return_inputs.py": _q_only_wrong,
    "return_nan.py": _all_wrong,
    "return_list.py": _wrong_type("Q", "Q: got a list of Python floats, expected a tensor", "not Q.tolist()"),
    "ex01/return_float.py": _wrong_type_and_graph,
    "ex05/losses_as_tensors.py": _wrong_type("losses", "losses: got a list of tensors, expected a list of Python "
                                             "floats", ".item()"),
    "read_etc_passwd.py": _passwd,
    "read_solutions.py": _solutions_hidden,
    "write_course_folders.py": _course_unchanged,
    "env_secret.py": _secret_not_shown(),
    "grader_memory.py": _secret_not_shown("FOUND", "memory read", "MEMORY WRITABLE"),
    "ptrace_grader.py": _not_in_output("ATTACHED"),
    "network_tcp.py": _no_connection,
    "network_unix_socket.py": _no_connection,
    "host_kernel_settings.py": _not_in_output("WROTE", "OPEN-W"),
    "host_kernel_settings_own_tree.py": _own_tree_and(_not_in_output("WROTE", "OPEN-W")),
    "host_devices.py": _not_in_output("OPEN-W"),
    "dev_shm_leftover.py": _shm,
    "sysv_shm_leftover.py": _no_shm_left,
    "sysv_msgqueue_channel.py": _no_channel,
    "autogroup_nice.py": _autogroup_kept,
    "proc1_writable_files.py": _nothing_writable_in_proc,
    "socket_families.py": _sockets_refused,
    "binary_garbage.py": _message_has("not UTF-8"),
    "null_bytes.py": _message_has("null bytes"),
    "ex09/engine_bypass.py": _by_hand_refused("unverifiable", "line 11: ._C is private"),
    "ex09/getattr_engine.py": _by_hand_refused("unverifiable", "line 7: getattr() fetches attributes"),
    "ex09/forward_mode.py": _by_hand_refused("used_autograd", "line 6: .forward_ad computes gradients outside"),
    "ex09/graph_node_call.py": _by_hand_refused("used_autograd", "line 12: .grad_fn computes gradients outside"),
    "ex09/frame_walk.py": _by_hand_refused("unverifiable", "line 13: .gi_frame reaches into the interpreter"),
    "ex09/module_hop.py": _by_hand_refused("unverifiable", "line 11: .serialization leads from a module to another"),
    "ex09/match_pattern.py": _by_hand_refused("unverifiable", "line 10: ._C is private"),
    "ex09/variable_module_engine.py": _by_hand_refused("unverifiable", "line 6: from torch.autograd.variable import"),
    "ex09/gradient_edge.py": _by_hand_refused("unverifiable", "line 6: from torch.autograd.graph import"),
    "ex09/print_shadow.py": _by_hand_refused("used_autograd", "line 15: .grad_fn computes gradients outside"),
    "ex09/eq_capture.py": _by_hand_refused("used_autograd", "line 16: .grad_fn computes gradients outside"),
    "ex09/assert_message.py": _by_hand_refused("used_autograd", "line 14: .grad_fn computes gradients outside"),
    "ex09/instancecheck_capture.py": _by_hand_refused("unverifiable", "line 8: class Catch(...) builds on another"),
    "ex09/tensor_subclass_spy.py": _by_hand_refused("unverifiable", "line 10: class Spy(...) builds on another"),
    "ex09/type_built_spy.py": _by_hand_refused("unverifiable", "line 9: type() with three arguments builds a class"),
    "ex09/gradcheck_message.py": _by_hand_refused("used_autograd", "line 15: .gradcheck computes gradients outside"),
    "ex09/finalizer_after_count.py": _by_hand_refused("used_autograd", "The submission ran autograd 1 time(s)"),
    "ex09/generator_finally.py": _by_hand_refused("used_autograd", "The submission ran autograd 1 time(s)"),
    "ex09/rearmed_input_spy.py": _by_hand_refused("used_autograd", "The submission ran autograd 1 time(s)"),
    "ex09/torchscript_string.py": _by_hand_refused("unverifiable", "line 17: .CompilationUnit is TorchScript"),
    "ex09/import_time_table.py": _by_hand_refused("used_autograd", "The submission ran autograd 6 time(s)"),
}


# ------------------------------------------------------------------------------------------------ the tests


def assert_declared_outcome(grade: Grade, header: dict, *, checks: list[str] | None) -> None:
    if checks is not None:
        assert [c.name for c in grade.checks] == checks
    assert grade.max_score == 10
    if "expect-error" in header:
        kind = header["expect-error"]
        assert grade.error is not None and grade.error.kind == kind, (grade.error, grade.output[-300:])
        assert grade.status == "error" and grade.score == 0
        assert all(not c.passed and c.diagnosis == kind for c in grade.checks), grade.checks
    else:
        assert grade.error is None, grade.error
    if "expect-status" in header:
        assert grade.status == header["expect-status"], (grade.status, grade.checks)
    if "expect-score" in header:
        assert grade.score == float(header["expect-score"]), (grade.score, grade.checks)
    if "expect-score-below" in header:
        assert grade.score < float(header["expect-score-below"]), (grade.score, grade.checks)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_attack_gets_the_declared_grade(case: Case, tmp_path: Path, monkeypatch) -> None:
    with contextlib.ExitStack() as stack:
        context: dict = {}
        if case.name in SETUPS:
            context.update(stack.enter_context(SETUPS[case.name](tmp_path, monkeypatch)))
        code = case.data
        for key, value in context.items():
            if key.startswith("@"):
                code = code.replace(key.encode(), value.encode())
        assert not re.search(rb"@[A-Z_]+@", code), "a placeholder has no setup"
        started = time.monotonic()
        grade = _grade(tmp_path, code, case)  # never raises: every attack becomes a grade
        elapsed = time.monotonic() - started
        assert elapsed < case.timeout + 3, f"grading took {elapsed:.1f} s"
        needs = case.header.get("needs")
        if needs is not None and not _reached(grade, needs):
            pytest.skip(f"needs {needs}; this machine reached '{grade.sandbox}'")
        assert_declared_outcome(grade, case.header, checks=EX03_CHECKS if case.exercise == "ex03" else None)
        EXTRA[case.name](grade, context)


def test_the_suite_is_complete_and_every_file_declares_its_outcome() -> None:
    assert len(CASES) >= 25
    for case in CASES:
        header = case.header
        assert header.get("attack"), case.name
        assert {"expect-error", "expect-status", "expect-score", "expect-score-below"} & set(header), case.name
        assert header.get("needs") in (None, *NEEDS), case.name
        assert case.exercise == "ex03" or case.path.parent.name == case.exercise, case.name
        assert case.name in EXTRA, f"{case.name}: add its extra assertions (or an explicit no-op) to EXTRA"
    open_holes = {str(p.relative_to(HERE / "open")) for p in (HERE / "open").rglob("*.py")}
    assert set(EXTRA) == {c.name for c in CASES} | open_holes  # open/ keeps the attacks that still succeed
    assert set(SETUPS) <= {c.name for c in CASES} | open_holes


def test_every_attack_is_in_the_security_document() -> None:
    text = (REPO / "docs" / "security.md").read_text(encoding="utf-8")
    missing = [c.name for c in CASES if f"`{c.name}`" not in text]
    assert missing == []
