"""grade ex03 --watch: a report for every save, however the editor saves, and a clean stop on Ctrl-C.

The watcher runs as the student runs it, in a process of its own on a copy of the course; each test waits for
what the watcher prints (generously: CI is slower) and asserts on what the reports say, never on how fast.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.saves import Watcher, content_key, read_whole

REPO = Path(__file__).resolve().parent.parent
CORRECT = (REPO / "solutions" / "ex03.py").read_text(encoding="utf-8")
ACCUMULATED = (REPO / "solutions" / "wrong" / "ex03_accumulated.py").read_text(encoding="utf-8")
SIGN = (REPO / "solutions" / "wrong" / "ex03_sign.py").read_text(encoding="utf-8")
WAIT_S = 120.0  # per step: a cold start imports torch; CI machines are slower and shared
STATUS = re.compile(r"^watching (\S+) \u2014 saved \d\d:\d\d:\d\d, graded in \d+ ms; Ctrl-C to stop$")


def _course(tmp_path: Path) -> Path:
    """A copy of the course (config, exercises, fixtures) with an empty student folder at its root."""
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(REPO / "config.yaml", course / "config.yaml")
    shutil.copy(REPO / "fixtures.py", course / "fixtures.py")
    shutil.copytree(REPO / "exercises", course / "exercises")
    (course / "solutions").mkdir()
    return course


class Watching:
    """`grade ex03 --watch` running in `folder`; its stdout collected line by line, its reports counted."""

    def __init__(self, folder: Path, *args: str, new_session: bool = False) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([sys.executable, "-m", "grader", "ex03", *args, "--watch"], cwd=folder,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                        start_new_session=new_session)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def reports(self) -> list[str]:
        """Each report printed so far, ending with its status line."""
        found, current = [], []
        for line in list(self.lines):
            current.append(line)
            if STATUS.match(line):
                found.append("\n".join(current))
                current = []
        return found

    def wait_for_report(self, count: int) -> str:
        """The `count`-th report (1-based), once it is printed."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            reports = self.reports()
            if len(reports) >= count:
                return reports[count - 1]
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no report #{count}; printed:\n" + "\n".join(self.lines) + self._stderr())

    def wait_for_line(self, text: str, after: int = 0) -> None:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines[after:]):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"never printed {text!r}; printed:\n" + "\n".join(self.lines) + self._stderr())

    def _stderr(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return ""
        return "\nstderr:\n" + self.process.stderr.read()

    def descendants(self) -> set[int]:
        return _descendants(self.process.pid)

    def stop(self, *, group: bool = False) -> tuple[int, str]:
        """Interrupt it as Ctrl-C does (the whole process group on a terminal); its exit code and stderr."""
        if group:
            os.killpg(self.process.pid, signal.SIGINT)
        else:
            self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=WAIT_S)
        self._reader.join(timeout=WAIT_S)
        assert self.process.stderr is not None
        return code, self.process.stderr.read()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _running(pids: set[int]) -> set[int]:
    """The pids still alive (zombies waiting for their parent count as gone: they run nothing)."""
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _gone(pids: set[int]) -> set[int]:
    """The pids still running after giving the kernel time to tear them down."""
    deadline = time.monotonic() + 30
    while _running(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _running(pids)


def _save_atomically(path: Path, text: str) -> None:
    """Save as vim, VS Code and Jupyter do: write a temporary file beside it, then rename it over the old one."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


@pytest.fixture
def course(tmp_path: Path) -> Path:
    return _course(tmp_path)


def test_every_kind_of_save_is_graded_once_and_ctrl_c_exits_cleanly(course: Path) -> None:
    answer = course / "ex03.py"
    watching = Watching(course)
    try:
        watching.wait_for_line("waiting for ex03.py or ex03.ipynb")  # started before the file exists

        answer.write_text(CORRECT, encoding="utf-8")  # a plain save
        first = watching.wait_for_report(1)
        assert "score: 10/10" in first and "every check passed" in first
        assert first.splitlines()[-1].startswith("watching ex03.py")

        _save_atomically(answer, ACCUMULATED)  # the editor's rename over the file
        second = watching.wait_for_report(2)
        assert "FAIL  a.grad" in second and "[accumulated]" in second and "score: 10/10" not in second
        assert "-" * 72 in "\n".join(watching.lines)  # not a terminal: a separator line, no clearing

        _save_atomically(answer, ACCUMULATED)  # saved again with the same code: nothing to grade again
        time.sleep(1.5)  # room for a wrong re-grade to show up before the next save
        with answer.open("w", encoding="utf-8") as handle:  # truncate, then write in two parts
            handle.write(SIGN[: len(SIGN) // 2])
            handle.flush()
            handle.write(SIGN[len(SIGN) // 2:])
        third = watching.wait_for_report(3)
        assert "[sign]" in third, third
        time.sleep(1.0)
        assert len(watching.reports()) == 3, "an unchanged save or a half-written file was graded"

        before = len(watching.lines)
        answer.unlink()
        watching.wait_for_line("does not exist yet", after=before)
        answer.write_text(CORRECT, encoding="utf-8")  # recreated
        fourth = watching.wait_for_report(4)
        assert "score: 10/10" in fourth

        below = watching.descendants()
        assert below, "the watcher keeps a launcher"
        code, stderr = watching.stop()
        assert code == 0, stderr
        assert "Traceback" not in stderr, stderr
        assert watching.lines[-1] == "stopped watching"
        assert _gone(below) == set(), "the watcher left processes running"
    finally:
        watching.kill()


def test_a_killed_launcher_is_replaced_and_a_changed_exercise_is_reloaded(course: Path) -> None:
    answer = course / "answer.py"
    answer.write_text(CORRECT, encoding="utf-8")
    watching = Watching(course, "answer.py", new_session=True)
    try:
        assert "score: 10/10" in watching.wait_for_report(1)

        # every launcher below the watcher dies, as when a submission kills its own: the next save gets a new one
        launchers = watching.descendants() - _direct_children(watching.process.pid)
        assert launchers
        for pid in launchers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        assert _gone(launchers) == set()
        _save_atomically(answer, ACCUMULATED)
        second = watching.wait_for_report(2)
        assert "[accumulated]" in second, second

        # the instructor edits the exercise (more points for Q): the same file is graded again against it
        exercise = next((course / "exercises").glob("ex03_*.yaml"))
        text = exercise.read_text(encoding="utf-8")
        edited = text.replace("{name: Q, kind: value, target: Q, points: 4}", "{name: Q, kind: value, target: Q, points: 5}")
        assert edited != text, "the test's edit no longer matches the exercise file"
        _save_atomically(exercise, edited)  # half-way through the edit, the total no longer adds up
        broken = watching.wait_for_report(3)
        assert "error: " in broken and "exercise.points: is 10 but the checks add up to 11" in broken, broken
        _save_atomically(exercise, edited.replace("points: 10", "points: 11", 1))
        fourth = watching.wait_for_report(4)
        assert re.search(r"FAIL  Q\s+0/5|PASS  Q\s+5/5", fourth) and "/11" in fourth, fourth

        below = watching.descendants()
        code, stderr = watching.stop(group=True)  # Ctrl-C on a terminal reaches the whole process group
        assert code == 0, stderr
        assert "Traceback" not in stderr, stderr
        assert _gone(below) == set()
    finally:
        watching.kill()


def _direct_children(pid: int) -> set[int]:
    return {p for p in _descendants(pid) if _parent(p) == pid}


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return -1


def test_watch_refuses_other_formats_and_unknown_exercises(tmp_path: Path) -> None:
    runner = CliRunner()
    config = str(REPO / "config.yaml")
    done = runner.invoke(main, ["ex03", str(tmp_path / "a.py"), "--watch", "--format", "json", "--config", config])
    assert done.exit_code == 2 and "--watch prints text reports" in done.output
    done = runner.invoke(main, ["ex3", "--watch", "--config", config])
    assert done.exit_code == 2 and "did you mean ex03" in done.output
    done = runner.invoke(main, ["ex03", str(tmp_path / "nowhere" / "a.py"), "--watch", "--config", config])
    assert done.exit_code == 2 and "does not exist" in done.output


def test_a_notebook_saved_with_new_outputs_only_keeps_its_key(tmp_path: Path) -> None:
    notebook = {"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
                           "source": ["x = 1\n"]}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "ex03.ipynb"
    before = content_key(path, json.dumps(notebook).encode())
    notebook["cells"][0]["execution_count"] = 7
    notebook["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}]
    assert content_key(path, json.dumps(notebook).encode()) == before
    notebook["cells"][0]["source"] = ["x = 2\n"]
    assert content_key(path, json.dumps(notebook).encode()) != before
    assert content_key(path, b'{"cells": [') != before  # half-written: its bytes decide
    assert content_key(path, None) == "absent"


def test_read_whole_reads_a_file_and_says_when_it_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "ex03.py"
    assert read_whole(path).data is None
    path.write_bytes(b"x = 1\n")
    snapshot = read_whole(path)
    assert snapshot.data == b"x = 1\n" and snapshot.key == content_key(path, b"x = 1\n")


def test_the_watcher_starts_then_sees_a_rename_over_the_file_and_ignores_its_neighbours(tmp_path: Path) -> None:
    path = tmp_path / "ex03.py"
    path.write_text("a = 1\n", encoding="utf-8")
    seen: list[set[Path]] = []

    def save() -> None:
        time.sleep(0.5)
        (tmp_path / "other.py").write_text("ignored\n", encoding="utf-8")
        _save_atomically(path, "a = 2\n")

    saves = Watcher((path,)).saves()
    assert next(saves) == set()  # watching has begun: what is there now is for the caller to read
    threading.Thread(target=save, daemon=True).start()
    seen.append(next(saves))
    saves.close()
    assert seen == [{path}]


class _NoLaunchers:
    """A stand-in zygote for tests that never run a submission."""

    def spawner(self) -> object:
        return type("Idle", (), {"pid": -1})()


def test_the_reference_is_computed_once_per_version_of_the_course_files(course: Path) -> None:
    from grader.config import load_settings
    from grader.inputs import make_trials
    from grader.warm import WarmGrader

    session = WarmGrader(_NoLaunchers(), settings=lambda: load_settings(course / "config.yaml"),
                         config=course / "config.yaml", stored=lambda exercise: None, seed_base=500, hidden=None)
    first = session.reference("ex03")
    assert first.seeds == (500, 501, 502)
    trials = make_trials(first.exercise.public_seeds, first.seeds)
    oracle, expected = session.expected(first, trials)
    assert session.reference("ex03") is first and session.expected(first, trials)[0] is oracle  # reused

    with (course / "fixtures.py").open("a", encoding="utf-8") as handle:
        handle.write("\n# edited\n")
    second = session.reference("ex03")
    assert second is not first and session.expected(second, trials)[0] is not oracle  # fixtures.py changed

    config = course / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("hidden_trials: 3", "hidden_trials: 1"),
                      encoding="utf-8")
    third = session.reference("ex03")
    assert third.seeds == (500,) and third.settings.hidden_trials == 1  # config.yaml read again
