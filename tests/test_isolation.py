"""Where Linux allows it, the child has no network and cannot see the course's exercises and solutions."""

from __future__ import annotations

import json
import os
import signal
import textwrap
import time

import pytest
from conftest import HIDDEN_SEEDS, REPO, TIMEOUT_S, _course, grade_code

from grader.sandbox import cgroups
from grader.config import Limits
from grader.errors import SandboxTooWeak
from grader.grade import conclude, expectations, prepare
from grader.sandbox.isolate import BASELINE, DEVICES, OWN_PROCESSES, STRONG, level_of
from grader.sandbox.protocol import SANDBOX_NOTE, frame
from grader.sandbox.runner import RawRun, RunningChild, Surroundings, read_run
from grader.source import read_submission
from grader.sandbox.spawner import Spawner

pytestmark = pytest.mark.needs_linux_sandbox  # the fork runner's Linux isolation; skipped on the portable runner

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

    # the launcher answers first, then kills and reaps what the run left behind, before it forks the next child
    deadline = time.monotonic() + 2.0
    while (left := [p for p in os.listdir("/proc") if p.isdigit() and _cmdline(p).endswith(marker)]) \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    assert left == []


def _cmdline(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def own_tree_or_skip(grade):
    strong_or_skip(grade)
    if not grade.sandbox.endswith(OWN_PROCESSES):
        pytest.skip(f"the kernel refused the launcher a process tree of its own: '{grade.sandbox}'")


def test_by_default_the_submission_sees_and_signals_nothing_outside_its_tree(tmp_path):
    probe = ("import os, signal\nprint(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()), os.getpid(), "
             "os.getppid())\nfor pid in (1, os.getppid()):\n    os.kill(pid, signal.SIGKILL)\n")
    grade = grade_code(tmp_path, probe + CORRECT)
    own_tree_or_skip(grade)
    pids, me, parent = grade.output.splitlines()[0].rsplit(" ", 2)
    assert (pids, parent) == (f"[1, {me}]", "1")  # the launcher is init (pid 1); the grading process is invisible
    assert grade.status == "passed"  # the kernel drops a kill sent to init from inside its tree


DEV_AND_PROC = """
import os
print(sorted(os.listdir('/dev')))
for path in ('/proc/sys/vm/swappiness', '/dev/planted'):
    try:
        open(path, 'w').close()
        print('WROTE', path)
    except OSError as exc:
        print('refused', exc.errno)
"""


def test_dev_holds_only_harmless_devices_and_proc_settings_are_read_only(tmp_path):
    grade = grade_code(tmp_path, DEV_AND_PROC + CORRECT)
    strong_or_skip(grade)
    assert grade.output.splitlines() == [str(sorted([*DEVICES, "fd", "shm", "stdin", "stdout", "stderr"])),
                                         "refused 30", "refused 30"]  # 30: EROFS


def _run_here(tmp_path, code: str, around: Surroundings, **limits) -> tuple:
    """Run one submission in a child forked from this test process (no launcher): its raw run and its pending."""
    settings, exercise, _ = _course()
    path = tmp_path / "submission.py"
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    settings = settings.with_overrides(timeout_s=TIMEOUT_S, **limits)
    pending = prepare(exercise, read_submission(path), settings, seeds=HIDDEN_SEEDS)
    return RunningChild(pending.plan, pending.plan.limits, around).finish(), pending


@pytest.mark.parametrize("pid_namespace", [False, True])
def test_without_a_tree_from_the_launcher_each_child_isolates_itself(tmp_path, pid_namespace):
    """Where the kernel refuses the launcher its own tree, each child lays out /dev and /proc alone."""
    raw, pending = _run_here(tmp_path, DEV_AND_PROC + CORRECT, Surroundings(), pid_namespace=pid_namespace)
    _, _, oracle = _course()
    grade = conclude(pending, raw, oracle, expectations(oracle, pending.trials, pending.settings))
    strong_or_skip(grade)
    assert grade.sandbox.endswith(OWN_PROCESSES) == pid_namespace, grade.sandbox
    assert grade.status == "passed"
    assert grade.output.splitlines()[1:] == ["refused 30", "refused 30"]


def test_a_child_below_the_demanded_level_runs_no_student_code(tmp_path):
    code = "print('STUDENT CODE RAN')\n" + CORRECT
    raw, pending = _run_here(tmp_path, code, Surroundings(), require="own_process_tree", pid_namespace=False)
    assert b"STUDENT CODE RAN" not in raw.output
    with pytest.raises(SandboxTooWeak) as info:
        read_run(raw, pending.plan.limits, trials=len(pending.trials))
    assert "config.yaml demands sandbox.require: own_process_tree" in info.value.message
    assert "no student code was run" in info.value.message


def test_grading_runs_when_the_machine_reaches_the_demanded_level(tmp_path):
    grade = grade_code(tmp_path, CORRECT, require="own_process_tree")
    own_tree_or_skip(grade)
    assert grade.status == "passed"


def _raw(*notes: str) -> RawRun:
    data = b"".join(frame(json.dumps({"kind": "note", "text": SANDBOX_NOTE + text}).encode()) for text in notes)
    return RawRun(result=data, output=b"", result_bytes=len(data), output_bytes=0, status=0, seconds=0.1)


def test_the_parent_judges_the_level_by_the_first_note_alone():
    """Student code runs only after the first note: a later, forged note can neither raise nor lower the level."""
    needs = Limits(require="namespaces")
    read_run(_raw(STRONG, BASELINE), needs, trials=1)  # a forged 'baseline' cannot stop a whole batch
    with pytest.raises(SandboxTooWeak):
        read_run(_raw(BASELINE, STRONG), needs, trials=1)
    read_run(_raw(BASELINE), Limits(), trials=1)
    assert [level_of(t) for t in (BASELINE, STRONG, STRONG + OWN_PROCESSES)] == [
        "baseline", "namespaces", "own_process_tree"]


MARK = "4321.2468"


def _marked() -> list[str]:
    return [p for p in os.listdir("/proc") if p.isdigit() and _cmdline(p).endswith(MARK)]


def test_killing_the_launcher_ends_every_process_of_the_submission(tmp_path):
    code = (f"import subprocess, time\nsubprocess.Popen(['sleep', '{MARK}'], start_new_session=True)\n"
            f"print('STARTED', flush=True)\ntime.sleep(60)\n" + CORRECT)
    settings, exercise, _ = _course()
    path = tmp_path / "submission.py"
    path.write_text(code, encoding="utf-8")
    pending = prepare(exercise, read_submission(path), settings.with_overrides(timeout_s=20),
                      seeds=HIDDEN_SEEDS)
    spawner = Spawner()
    try:
        spawner.start(pending.plan)
        deadline = time.monotonic() + 10
        while not _marked() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _marked(), "the submission never started its helper"
        os.kill(spawner.pid, signal.SIGKILL)
        raw = spawner.wait()
        assert raw.lost is not None and "stopped answering" in raw.lost
        deadline = time.monotonic() + 3
        while _marked() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _marked() == [], "a process of the submission outlived its launcher"
    finally:
        spawner.close()
        for pid in _marked():
            os.kill(int(pid), signal.SIGKILL)
    left = [folder for folder, _ in cgroups._own_groups().values()
            if os.path.isdir(os.path.join(folder, f"{cgroups.PREFIX}{spawner.pid}"))]
    assert left == [], "the killed launcher's cgroups were not removed"


def test_each_child_has_its_own_ipc_and_uts_namespaces(tmp_path):
    """System V IPC made by a submission is not the machine's (so no later submission's either); nor is its hostname.

    Namespace inode numbers are reused once a namespace ends: only those of living ones can be compared.
    """
    probe = ("import os, socket\nprint(*(os.stat(f'/proc/self/ns/{kind}').st_ino for kind in ('ipc', 'uts')))\n"
             "try:\n    socket.sethostname('submission')\nexcept OSError as exc:\n    print('refused', exc.errno)\n")
    hostname = os.uname().nodename
    grade = grade_code(tmp_path, probe + CORRECT)
    strong_or_skip(grade)
    ours = [os.stat(f"/proc/self/ns/{kind}").st_ino for kind in ("ipc", "uts")]
    theirs = [int(number) for number in grade.output.splitlines()[0].split()]
    assert ours[0] != theirs[0] and ours[1] != theirs[1], (ours, theirs)
    assert grade.output.splitlines()[1:] == ["refused 1"]  # EPERM: locked out of its UTS namespace, like its mounts
    assert os.uname().nodename == hostname


ANCESTORS_FILES = """
import os
mine = open('/proc/self/oom_score_adj').read().strip()
pids, pid = {1}, os.getppid()
while pid > 1 and pid not in pids:
    pids.add(pid)
    try:
        pid = int(open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[1])
    except OSError:
        break
for pid in sorted(pids | set(THREADS)):
    for name in ('autogroup', 'oom_score_adj', 'oom_adj', 'coredump_filter', 'clear_refs', 'sched'):
        try:
            os.close(os.open(f'/proc/{pid}/{name}', os.O_WRONLY))
            print('OPEN-W', pid, name)
        except OSError:
            pass
print('own', mine, sorted(pids))
"""


@pytest.mark.parametrize("pid_namespace", [False, True])
def test_without_a_tree_from_the_launcher_the_files_of_pid_1_and_the_ancestors_are_masked(tmp_path, pid_namespace):
    """Run from this test process, the child finds no writable file of it (any thread), of pid 1 or above."""
    threads = sorted(int(tid) for tid in os.listdir("/proc/self/task"))
    code = f"THREADS = {threads}\n" + ANCESTORS_FILES + CORRECT
    raw, pending = _run_here(tmp_path, code, Surroundings(), pid_namespace=pid_namespace)
    _, _, oracle = _course()
    grade = conclude(pending, raw, oracle, expectations(oracle, pending.trials, pending.settings))
    strong_or_skip(grade)
    assert grade.status == "passed"
    assert "OPEN-W" not in grade.output, grade.output
    last = grade.output.splitlines()[-1]
    assert last.startswith("own 1000 "), last  # its own files are its own
    if not pid_namespace:
        assert str(os.getpid()) in last  # this process, its parent, was among those tried


def _children(pid: int) -> list[int]:
    found = []
    for entry in (e for e in os.listdir("/proc") if e.isdigit()):
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                if int(stat.read().rsplit(b")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _stat_fields(pid: int) -> list[bytes]:
    with open(f"/proc/{pid}/stat", "rb") as stat:
        return stat.read().rsplit(b")", 1)[1].split()


def test_the_launchers_init_leads_a_session_of_its_own(tmp_path):
    """A session of its own is an autogroup of its own: no write to /proc/1/autogroup reaches the grader's terminal."""
    settings, exercise, _ = _course()
    path = tmp_path / "submission.py"
    path.write_text(CORRECT, encoding="utf-8")
    spawner = Spawner()
    try:
        spawner.start(prepare(exercise, read_submission(path), settings.with_overrides(timeout_s=TIMEOUT_S),
                              seeds=HIDDEN_SEEDS).plan)
        if OWN_PROCESSES.encode() not in spawner.wait().result:
            pytest.skip("the kernel refused the launcher a process tree of its own")
        (middle,) = _children(spawner.pid)
        (init,) = _children(middle)
        session = int(_stat_fields(init)[3])
        assert session == init and session != os.getsid(0), (session, init, os.getsid(0))
        if os.path.exists("/proc/self/autogroup"):
            with open(f"/proc/{init}/autogroup") as theirs, open("/proc/self/autogroup") as ours:
                groups = theirs.read().split(), ours.read().split()
            # The kernel prints nothing for a task whose CPU group is a cgroup rather than an autogroup
            # (a CI runner's cgroup, or the grader's own): the session check above is then the whole test.
            if all(groups):
                assert groups[0][0] != groups[1][0], groups
    finally:
        spawner.close()
