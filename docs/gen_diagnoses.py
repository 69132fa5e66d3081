"""Regenerate docs/diagnoses.md: every diagnosis and error kind, its meaning, and a real report that shows it.

The examples are the known-wrong variants under solutions/wrong/, graded for real with fixed hidden seeds.
Run from the repository root:  python docs/gen_diagnoses.py
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from grader.course.batch import absent_reason
from grader.codes import DIAGNOSES, ERROR_KINDS
from grader.config import find_config, load_settings
from grader.exercise import exercise_files, parse_exercise
from grader.grade import grade_submission, ungraded
from grader.oracle import build_oracle
from grader.report import render
from grader.result import Grade, GradeError
from grader.course.roster import read_roster
from grader.course.selfcheck import read_expectation
from grader.sandbox.spawner import Spawner, warm_up
from grader.source import read_submission

ROOT = Path(__file__).resolve().parent.parent
SEEDS = (101, 102)

# Error kinds come from hostile or broken code rather than a wrong answer, so no variant ships for them:
# graded here for real from these snippets (as ex03 answers) with a short time limit.
ERROR_SNIPPETS = {
    "syntax": "def q_backward(a, b)\n    return 3 * a**3 - b**2\n",
    "missing": "def q_gradient(a, b):\n    return 3 * a**3 - b**2\n",
    "timeout": "def q_backward(a, b):\n    while True:\n        pass\n",
    "memory": "def q_backward(a, b):\n    hoard = []\n    while True:\n        hoard.append(bytearray(10**7))\n",
    "crash": "import os\n\ndef q_backward(a, b):\n    os._exit(3)\n",
    "output_limit": "def q_backward(a, b):\n    while True:\n        print('still thinking...')\n",
    "result_limit": "import contextlib, os\n\ndef q_backward(a, b):\n    for fd in range(3, 64):\n"
                    "        with contextlib.suppress(OSError):\n"
                    "            os.write(fd, b'\\x00\\x00\\x00\\x19{\"kind\":\"note\",\"text\":\"\"}' * 100)\n",
}


def examples(spawner: Spawner) -> tuple[dict[str, tuple[str, str, str]], list[str]]:
    """For each code, the first variant that gets it: (variant, the check's message, the full report); and a row
    per known-wrong variant of every exercise, saying what it gets."""
    settings = load_settings(find_config(ROOT))
    found: dict[str, tuple[str, str, str]] = {}
    rows = ["| exercise | known-wrong variant | diagnosis | known mistake |", "| --- | --- | --- | --- |"]
    for exercise_id, path in exercise_files(settings.exercises_dir).items():
        exercise = parse_exercise(path, settings)
        oracle = build_oracle(exercise)
        for variant in sorted((settings.solutions_dir / "wrong").glob(f"{exercise_id}_*.py")):
            expectation = read_expectation(variant, exercise)
            grade = grade_submission(exercise, read_submission(variant), settings, seeds=SEEDS, oracle=oracle,
                                     spawner=spawner)
            failing = [c for c in grade.checks if not c.passed and expectation.diagnosis in (c.diagnosis, c.mistake)
                       and expectation.check in (None, c.name)]
            shown = failing[0] if failing else None
            code = shown.diagnosis if shown else grade.error.kind if grade.error else expectation.diagnosis
            mistake = f"`{shown.mistake}`" if shown and shown.mistake else ""
            rows.append(f"| {exercise_id}: {exercise.title.replace('|', '/')} | `{variant.name}` | `{code}` | "
                        f"{mistake} |")
            if code in found:
                continue
            message = shown.message if shown else (grade.error.message if grade.error else "")
            report = _report(grade).replace(str(ROOT) + "/", "")
            found[code] = (f"solutions/wrong/{variant.name}", message, report)
    return found, rows


def _report(grade: Grade) -> str:
    """The report as a student reads it, with the measured times (which vary from run to run) shown as '…'."""
    return "\n".join(re.sub(r"<?\d+\.\d+ s\b", "… s", line) if line.startswith("time: ") else line
                     for line in render(grade).split("\n"))


def error_examples(spawner: Spawner, folder: Path) -> dict[str, tuple[str, str, str]]:
    """Reports for the error kinds, from ERROR_SNIPPETS graded against ex03 with tight limits."""
    settings = load_settings(find_config(ROOT)).with_overrides(timeout_s=2.0, memory_mb=256)
    exercise = parse_exercise(exercise_files(settings.exercises_dir)["ex03"])
    oracle = build_oracle(exercise)
    found = {}
    for code, snippet in ERROR_SNIPPETS.items():
        path = folder / f"ex03_{code}.py"
        path.write_text(snippet, encoding="utf-8")
        grade = grade_submission(exercise, read_submission(path), settings, seeds=SEEDS, oracle=oracle,
                                 spawner=spawner)
        assert grade.error is not None and grade.error.kind == code, (code, grade.error)
        report = _report(grade).replace(str(folder) + "/", "")
        found[code] = (f"an ex03 answer: `{snippet.strip().splitlines()[-1].strip()}`", grade.error.message, report)
    return found


MADE_UP = """\
schema: 1
id: ex99
title: "Made up for this page: dL/dw of L = sum(x @ w), by hand"
points: 1
prompt: "Return the gradient of L = (x @ w).sum() with respect to w, computed by hand."
contract: {function: grad_w, signature: "grad_w(x, w) -> torch.Tensor", returns: [g]}
inputs:
  x: {tensor: [4, 2]}
  w: {tensor: [2, 3]}
trials: {public: [0]}
reference: |
  def grad_w(x, w):
      return x.T @ torch.ones(x.shape[0], w.shape[1])
checks:
  - {name: g, kind: value, target: g, points: 1}
"""

RULED = """\
schema: 2
id: ex98
title: "Made up for this page: per-sample gradients of (w . x_i)^2, with torch.func"
points: 1
prompt: "Return the gradient of (w . x_i)^2 with respect to w for each row x_i of x, with vmap(grad(...))."
contract: {function: per_sample, signature: "per_sample(w, x) -> torch.Tensor", returns: [g]}
inputs:
  w: {tensor: [3]}
  x: {tensor: [4, 3]}
trials: {public: [0]}
rules:
  requires: [torch.func.vmap]
  hint: Compute per-sample gradients with vmap(grad(...)), not a Python loop.
reference: |
  def per_sample(w, x):
      return torch.func.vmap(torch.func.grad(lambda w, xi: (w @ xi) ** 2), in_dims=(None, 0))(w, x)
checks:
  - {name: g, kind: value, target: g, points: 1}
"""

CUBE = """\
schema: 2
id: ex97
title: "Made up for this page: a custom Function for x cubed"
points: 1
prompt: "Write class Cube(torch.autograd.Function) computing x**3, with its backward."
contract: {class: Cube, base: torch.autograd.Function, returns: [y]}
inputs:
  x: {tensor: [3], requires_grad: true}
trials: {public: [0]}
reference: |
  class Cube(torch.autograd.Function):
      @staticmethod
      def forward(ctx, x):
          ctx.save_for_backward(x)
          return x**3

      @staticmethod
      def backward(ctx, grad_output):
          (x,) = ctx.saved_tensors
          return grad_output * 3 * x**2
checks:
  - {name: gradcheck, kind: gradcheck, points: 1}
"""

HOOKED = """\
schema: 2
id: ex96
title: "Made up for this page: scale a gradient with a hook, then remove it"
points: 1
prompt: "Register a hook on h = 2 * x that halves its gradient, back-propagate h.sum(), remove the hook, return h."
contract: {function: halved, signature: "halved(x) -> torch.Tensor", returns: [h]}
inputs:
  x: {tensor: [3], requires_grad: true}
trials: {public: [0]}
reference: |
  def halved(x):
      h = 2 * x
      handle = h.register_hook(lambda grad: grad / 2)
      h.sum().backward()
      handle.remove()
      return h
checks:
  - {name: hook removed, kind: hooks, target: h, expect: 0, points: 1}
"""

LOGSUMEXP = """\
schema: 2
id: ex95
title: "Made up for this page: a numerically stable log-sum-exp"
points: 1
prompt: "Return log(sum(exp(x))) for x with entries in the thousands, without overflow."
contract: {function: lse, signature: "lse(x) -> torch.Tensor", returns: [y]}
inputs:
  x: {tensor: [4], dist: uniform, low: 1000, high: 2000}
trials: {public: [0]}
reference: |
  def lse(x):
      return torch.logsumexp(x, dim=0)
checks:
  - {name: y is finite, kind: finite, target: y, points: 1}
"""

# No shipped exercise shows these codes yet: each is graded from an exercise made up for this page (id, file,
# the answer, and how the table introduces it).
MADE_UP_EXAMPLES = {
    "transposed": ("ex99", MADE_UP,
                   "import torch\n\ndef grad_w(x, w):\n    return torch.ones(w.shape[1], x.shape[0]) @ x\n",
                   "a made-up exercise: `return torch.ones(w.shape[1], x.shape[0]) @ x`"),
    "rule": ("ex98", RULED,
             "import torch\n\n\ndef per_sample(w, x):\n    return torch.stack([2 * (w @ xi) * xi for xi in x])\n",
             "a made-up exercise requiring torch.func.vmap: `torch.stack([2 * (w @ xi) * xi for xi in x])`"),
    "gradcheck": ("ex97", CUBE, "import torch\n\n\nclass Cube(torch.autograd.Function):\n    @staticmethod\n"
                  "    def forward(ctx, x):\n        ctx.save_for_backward(x)\n        return x**3\n\n"
                  "    @staticmethod\n    def backward(ctx, grad_output):\n        (x,) = ctx.saved_tensors\n"
                  "        return grad_output * 3 * x\n",
                  "a made-up custom Function whose backward forgot a power: `return grad_output * 3 * x`"),
    "hooks": ("ex96", HOOKED, "import torch\n\n\ndef halved(x):\n    h = 2 * x\n"
              "    h.register_hook(lambda grad: grad / 2)\n    h.sum().backward()\n    return h\n",
              "a made-up exercise: a hook registered with `h.register_hook(...)` and never removed"),
    "nonfinite": ("ex95", LOGSUMEXP, "import torch\n\n\ndef lse(x):\n    return torch.log(torch.exp(x).sum())\n",
                  "a made-up exercise: `torch.log(torch.exp(x).sum())` for entries in the thousands"),
}


def made_up_examples(spawner: Spawner, folder: Path) -> dict[str, tuple[str, str, str]]:
    """Grade each answer of MADE_UP_EXAMPLES against its exercise: the code it must get, its message and report."""
    settings = load_settings(find_config(ROOT))
    found = {}
    for code, (exercise_id, text, answer, described) in MADE_UP_EXAMPLES.items():
        (folder / f"{exercise_id}_made_up.yaml").write_text(text, encoding="utf-8")
        exercise = parse_exercise(folder / f"{exercise_id}_made_up.yaml")
        path = folder / f"{exercise_id}.py"
        path.write_text(answer, encoding="utf-8")
        grade = grade_submission(exercise, read_submission(path), settings, seeds=(), spawner=spawner)
        failing = [c for c in grade.checks if c.diagnosis == code]
        assert failing, (code, grade)
        found[code] = (described, failing[0].message, _report(grade).replace(str(folder) + "/", ""))
    return found


def absent_example(folder: Path) -> dict[str, tuple[str, str, str]]:
    """A class folder where bob handed in nothing for ex03, as `grade batch` reads and grades it."""
    settings = load_settings(find_config(ROOT))
    (folder / "class" / "bob").mkdir(parents=True)
    (folder / "class" / "bob" / "ex01.py").write_text("", encoding="utf-8")
    roster = read_roster(folder / "class", list(exercise_files(settings.exercises_dir)), ("ex03",))
    exercise = parse_exercise(exercise_files(settings.exercises_dir)["ex03"])
    grade = ungraded(exercise, GradeError("no_submission", absent_reason(roster.jobs[0], folder / "class")))
    return {"no_submission": ("`grade batch` on a class where bob handed in no ex03 file", grade.error.message,
                              _report(grade))}


# The classic autograd errors grader/explain.py explains: each a beginner's submission under tests/data/explain/
# (tests/test_explain.py checks its report names the cause line and the fix), and what the table calls it.
EXPLAINED = {
    "ex01_no_requires_grad": "no grad_fn: a leaf made without requires_grad",
    "ex02_not_reduced": "backward() on a non-scalar",
    "ex06_no_retain_graph": "backward() twice through the same graph",
    "ex05_loss_before_loop": "backward() inside a loop, through a graph built before it",
    "ex02_clamp_in_place": "a saved tensor modified in place (found with anomaly mode)",
    "ex05_update_without_no_grad": "a leaf that requires grad changed in place",
    "ex01_numpy": "numpy() on a tensor that requires grad",
    "ex03_int_tensors": "an integer tensor cannot require grad",
    "ex02_matmul_order": "sizes that do not fit a matrix product",
    "ex07_no_grad_without_parentheses": "`with torch.no_grad:` without parentheses",
    "ex10_grad_of_non_leaf": "`.grad` of a non-leaf is None",
    "ex05_rebinding": "`.grad` read on a rebound name (`w = w - lr * w.grad`)",
    "ex05_rebinding_no_grad": "a name rebound inside no_grad: the next backward() finds no graph",
}


def explained_examples(spawner: Spawner) -> list[str]:
    """A section per explained error: the submission and its real report."""
    settings = load_settings(find_config(ROOT))
    folder = ROOT / "tests" / "data" / "explain"
    lines = ["## Explained autograd errors", "",
             "An exception in a classic autograd mistake gets, after torch's message and the line where it surfaced, "
             "an explanation from `grader/explain.py`: what happened in plain words, the line that caused it, and the "
             "fix, countering torch's hint where it is wrong for the case. Each example is a beginner's submission "
             "under `tests/data/explain/`, graded for real.", "",
             "| error | submission | line where torch raised |", "| --- | --- | --- |"]
    sections = []
    for name, described in EXPLAINED.items():
        exercise = parse_exercise(exercise_files(settings.exercises_dir)[name.split("_", 1)[0]])
        path = folder / f"{name}.py"
        grade = grade_submission(exercise, read_submission(path), settings, seeds=SEEDS, oracle=build_oracle(exercise),
                                 spawner=spawner)
        assert grade.error is not None and "\n" in grade.error.message, (name, grade.error)
        lines.append(f"| {described} | `tests/data/explain/{name}.py` | {grade.error.line} |")
        numbered = "\n".join(f"{i:>3}  {text}" for i, text in enumerate(path.read_text().splitlines(), 1))
        sections += [f"### {described}", "", "```", numbered, "```", "", "```",
                     _report(grade).replace(str(ROOT) + "/", ""), "```", ""]
    return [*lines, "", *sections]


def main() -> None:
    warm_up()
    with Spawner() as spawner, tempfile.TemporaryDirectory() as folder:
        by_variant, rows = examples(spawner)
        shown = {**by_variant, **error_examples(spawner, Path(folder)),
                 **made_up_examples(spawner, Path(folder)), **absent_example(Path(folder))}
        explained = explained_examples(spawner)
    lines = ["# Diagnoses, side by side", "",
             "Generated by `python docs/gen_diagnoses.py` from the known-wrong variants in `solutions/wrong/`, graded "
             "for real. Every failed check carries one of these codes and a message written for the student: what "
             "was expected, what came back, what that usually means, and how to fix it.", "",
             "| code | meaning | example message |", "| --- | --- | --- |"]
    for code, meaning in {**DIAGNOSES, **ERROR_KINDS}.items():
        example = shown.get(code)
        message = example[1].replace("\n", " ").replace("|", "\\|") if example else "(no example)"
        lines.append(f"| `{code}` | {meaning} | {message} |")
    lines += ["", "## Every known-wrong variant", "",
              "What each variant under `solutions/wrong/` gets, graded for real (`grade check-exercises` proves it is "
              "what the variant declares).", "", *rows]
    lines += ["", "## Example reports", ""]
    for code in {**DIAGNOSES, **ERROR_KINDS}:
        if code in shown:
            variant, _, report = shown[code]
            lines += [f"### `{code}` ({variant})", "", "```", report, "```", ""]
    lines += explained
    (ROOT / "docs" / "diagnoses.md").write_text("\n".join(lines), encoding="utf-8")
    missing = [c for c in {**DIAGNOSES, **ERROR_KINDS} if c not in shown]
    print(f"wrote docs/diagnoses.md: {len(shown)} codes with examples; without: {', '.join(missing) or 'none'}")


if __name__ == "__main__":
    main()
