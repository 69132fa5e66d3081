"""grader.check("ex03") and %grade in a notebook: grade the cells the kernel ran, sandboxed, and show the report there.

The kernel is never forked (ipykernel runs threads) and its live objects are never graded: the cells it ran, in the
order it ran them (IPython's input history), are written as a notebook and graded by `python -m grader run ... --format
json` in a subprocess, exactly as `grade` grades a file, from the kernel's working folder. The report comes back as
JSON, is shown as HTML in the cell (text elsewhere), and says where the saved notebook disagrees with what ran.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..export import grade_from_dict
from ..result import Grade
from .history import RESTART, Ran, disagreements, history, history_notebook, saved_cells, without_checks

DEFAULT_TIMEOUT_S = 120.0  # the whole grading subprocess: importing torch, the oracle, every trial
PACKAGE_PARENT = Path(__file__).resolve().parent.parent.parent  # where `import grader` finds this grader
USAGE = "usage: %grade EXERCISE [--config path/to/config.yaml] [--notebook path/to/notebook.ipynb] (or: %grade all)"


@dataclass(frozen=True)
class Checked:
    """What one check found: the grades (or why there are none) and where the kernel and the file disagree."""

    grades: tuple[Grade, ...]
    warnings: tuple[str, ...] = ()
    error: str = ""  # why nothing was graded: the grader's own error message
    seconds: float = 0.0

    def text(self) -> str:
        """The report as `grade` prints it, the warnings first."""
        from ..report import render

        lines = [f"warning: {w}" for w in self.warnings]
        if self.error:
            lines.append(f"error: {self.error}")
        if self.grades:
            lines += ([""] if lines else []) + [("\n\n" + "=" * 72 + "\n\n").join(render(g) for g in self.grades)]
        if len(self.grades) > 1:
            score, most = sum(g.score for g in self.grades), sum(g.max_score for g in self.grades)
            lines.append(f"\ntotal: {score:g}/{most:g} over {len(self.grades)} exercise(s)")
        return "\n".join(lines)

    def html(self) -> str:
        """The report as an HTML fragment for the cell's output."""
        from ..exports.report_html import render_html

        warnings = (*self.warnings, *((f"error: {self.error}",) if self.error else ()))
        return render_html(self.grades, warnings=warnings)


def _shell() -> Any:
    """The running IPython shell, or None; IPython is never imported here, only found if the kernel loaded it."""
    module = sys.modules.get("IPython")
    return module.get_ipython() if module is not None else None


def find_notebook(shell: Any, given: str | os.PathLike[str] | None = None) -> Path | None:
    """The notebook file this kernel runs, where the front end says so (VS Code, Jupyter); None when unknown."""
    if given:  # named: that file or an error, never a guess
        path = Path(os.fspath(given)).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"no notebook {os.fspath(given)} (from {Path.cwd()}): name the file this kernel "
                                    f"runs")
        return path
    candidates: list[str] = []
    if shell is not None:
        vscode = shell.user_ns.get("__vsc_ipynb_file__")
        candidates += [vscode] if isinstance(vscode, str) else []
    session = os.environ.get("JPY_SESSION_NAME", "")  # Jupyter Server: the notebook's path (absolute or from its root)
    if session.endswith(".ipynb"):
        candidates += [session, str(Path.cwd() / Path(session).name)]
    for candidate in candidates:
        path = Path(candidate).expanduser()
        if path.is_file():
            return path
    return None


def _submission(shell: Any) -> tuple[str, str, tuple[Ran, ...], str]:
    """(text, suffix, the cells, how the report names them): the kernel's history, or the script that called us."""
    if shell is not None and getattr(shell, "history_manager", None) is not None:
        ran = history(shell.history_manager.input_hist_raw)
        last = ran[-1].number if ran else 0
        return history_notebook(without_checks(ran)), ".ipynb", ran, \
            f"the cells this kernel ran, In [1] to In [{last}] (cell n below is In [n])"
    script = getattr(sys.modules.get("__main__"), "__file__", None)
    if script and Path(script).is_file():
        [kept] = without_checks([Ran(1, Path(script).read_text(encoding="utf-8"))])
        return kept.source, Path(script).suffix or ".py", (), str(script)
    raise LookupError("grader.check grades the cells a notebook (IPython) kernel ran, or the script that calls it; "
                      "here there is neither: save your answer in a file and run 'grade EXERCISE' in a terminal")


def run_grade(exercise: str, path: Path, *, config: Path | None, timeout_s: float) -> tuple[list[Grade], str]:
    """Grade `path` as `grade EXERCISE FILE --format json` does, in a subprocess; (grades, error message)."""
    command = [sys.executable, "-m", "grader", "run", exercise, str(path), "--format", "json", "--no-color"]
    command += ["--config", str(config)] if config is not None else []
    env = dict(os.environ)
    if PACKAGE_PARENT.name not in ("site-packages", "dist-packages"):  # a checkout: the subprocess imports this grader
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_PARENT), os.environ.get("PYTHONPATH")) if p)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, env=env, check=False,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return [], (f"grading took more than {timeout_s:g} s and was stopped; run 'grade {exercise}' in a terminal "
                    f"to see how far it gets, or pass timeout_s=")
    try:
        data = json.loads(done.stdout) if done.returncode in (0, 1) else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        said = [line[len("error: "):] for line in done.stderr.splitlines() if line.startswith("error: ")]
        return [], said[-1] if said else (f"the grader stopped (exit {done.returncode}): "
                                          + (done.stderr.strip()[-2000:] or "it said nothing"))
    return [grade_from_dict(g) for g in data.get("exercises", [data])], ""


def grade_history(exercise: str, *, config: str | os.PathLike[str] | None = None,
                  notebook: str | os.PathLike[str] | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                  shell: Any = None) -> Checked:
    """Grade what this kernel ran (or the calling script) against `exercise` ('all': every one it answers)."""
    start = time.monotonic()
    shell = shell if shell is not None else _shell()
    try:
        text, suffix, ran, described = _submission(shell)
        path = find_notebook(shell, notebook) if ran else None
    except (LookupError, FileNotFoundError) as problem:
        return Checked((), error=str(problem))
    warnings: list[str] = []
    saved = saved_cells(path.read_bytes()) if path is not None else None
    if saved is not None and path is not None:
        warnings = disagreements(ran, saved, path.name)
        if warnings:
            warnings.append(f"the grade is for the code your kernel ran; to grade what {path.name} holds, {RESTART}")
    with tempfile.TemporaryDirectory(prefix="grader-check-") as folder:
        submission = Path(folder) / f"{'notebook' if exercise == 'all' else exercise}{suffix}"
        submission.write_text(text, encoding="utf-8")
        grades, error = run_grade(exercise, submission, config=Path(config).expanduser() if config else None,
                                  timeout_s=timeout_s)
    grades = [dataclasses.replace(g, submission=described) for g in grades]
    return Checked(tuple(grades), tuple(warnings), error, time.monotonic() - start)


def show(checked: Checked, shell: Any) -> None:
    """Show the report: HTML (and its text) as the cell's output in a kernel, the text on a terminal."""
    if shell is None:
        print(checked.text(), file=sys.stderr if checked.error and not checked.grades else sys.stdout)
        return
    from IPython.display import display

    display({"text/html": checked.html(), "text/plain": checked.text()}, raw=True)


def check(exercise: str, *, config: str | os.PathLike[str] | None = None,
          notebook: str | os.PathLike[str] | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
    """Grade the code you ran against `exercise` and show the report; in IPython, define %grade too.

    config: a config.yaml (default: the course found from the working folder, as `grade` finds it); notebook: the
    .ipynb this kernel runs, when the front end does not say; timeout_s: the whole grading run."""
    shell = _shell()
    if shell is not None:
        register_magic(shell)
    show(grade_history(exercise, config=config, notebook=notebook, timeout_s=timeout_s, shell=shell), shell)


def check_all(*, config: str | os.PathLike[str] | None = None, notebook: str | os.PathLike[str] | None = None,
              timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
    """Grade the code you ran against every exercise it answers, with one total, and show the report."""
    check("all", config=config, notebook=notebook, timeout_s=timeout_s)


def load_ipython_extension(shell: Any) -> None:
    """`%load_ext grader`: define the %grade magic."""
    register_magic(shell)


def register_magic(shell: Any) -> None:
    """Define %grade in this shell, unless something already owns the name."""
    if "grade" not in shell.magics_manager.magics.get("line", {}):
        shell.register_magic_function(grade_magic, magic_kind="line", magic_name="grade")


def grade_magic(line: str) -> None:
    """%grade EXERCISE [--config C] [--notebook N]: grader.check from a line."""
    try:
        words = shlex.split(line)
    except ValueError as problem:
        print(f"%grade: {problem}\n{USAGE}", file=sys.stderr)
        return
    options: dict[str, str] = {}
    while len(words) > 1 and words[-2] in ("--config", "--notebook"):
        value, option = words.pop(), words.pop()
        options[option[2:]] = value
    if len(words) != 1 or words[0].startswith("-"):
        print(f"%grade: {'which exercise?' if not words else 'cannot read ' + repr(line.strip())}\n{USAGE}",
              file=sys.stderr)
        return
    check(words[0], **options)
