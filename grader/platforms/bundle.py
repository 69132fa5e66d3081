"""grade bundle: what students receive -- the exercises without their answers, starters, stored expectations.

Reference code, known-mistake code and hidden trials stay with the instructor. So that `grade exNN` still works in the
bundle, the oracle runs here, once, on the public trials, and its values go beside each exercise (grader.platforms.stored).
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..config import EXERCISE_LIMITS, Settings, load_settings
from ..errors import UsageError
from ..exercise import Exercise, exercise_files, load_exercise, parse_exercise
from .install import SOURCE_DIR, TorchPin, write_grader_source

# What an exercise may show a student; everything else (reference, trials.hidden, mistakes[].code) stays behind.
PUBLIC_KEYS = ("schema", "id", "version", "title", "points", "prompt", "contract", "dims", "inputs", "trials",
               "probes", "checks", "mistakes", "starter", "notebook", "limits", "rules")
PUBLIC_MISTAKE_KEYS = ("id", "diagnosis", "message", "checks", "raises", "match")
WITHHELD = {"t": "missing", "why": "withheld from the student bundle: only a hidden check reads it"}


@dataclass(frozen=True)
class Withheld:
    """What a bundle leaves out so that no hidden check's expected values (or the check itself) ship to students.

    A hidden check is graded where the course is (batch, Gradescope); in the bundle it would have to be judged
    against stored values, which the student can read. So the bundle drops it (its points too), the probes and
    values that only hidden checks read, and the known mistakes that only hidden checks name.
    """

    checks: frozenset[str]
    names: frozenset[str]
    mistakes: frozenset[str]


def _heads(paths: Sequence[str]) -> set[str]:
    return {p.split(".")[1] if p.startswith("args.") and p.count(".") >= 1 else p.split(".")[0] for p in paths if p}


def withheld(exercise: Exercise) -> Withheld:
    """The hidden checks of `exercise`, and the names and mistakes that only they read."""
    hidden = [c for c in exercise.checks if c.hidden]
    shown = [c for c in exercise.checks if not c.hidden]
    if hidden and not shown:
        raise UsageError(f"{exercise.path}: every check of {exercise.id} is hidden, so a student bundle has nothing "
                         f"to grade; leave it out (grade bundle EX ... names the exercises to ship)")
    read = _heads([p for c in shown for p in (c.target, *c.targets, c.module)])
    names = _heads([p for c in hidden for p in (c.target, *c.targets, c.module)]) - read
    hidden_names = {c.name for c in hidden}
    mistakes = {m.id for m in exercise.mistakes if m.checks and set(m.checks) <= hidden_names}
    return Withheld(frozenset(hidden_names), frozenset(names), frozenset(mistakes))


def _strip(stored: dict, leave: Withheld) -> dict:
    """The stored expectations without what `leave` withholds."""
    def values(found: dict | None) -> dict | None:
        if found is None:
            return None
        return {"returns": {k: WITHHELD if k in leave.names else v for k, v in found["returns"].items()},
                "args": {k: WITHHELD if k in leave.names else v for k, v in found["args"].items()},
                "probes": {k: v for k, v in found["probes"].items() if k not in leave.names}}

    trials = [{**t, "reference": values(t["reference"]),
               "mistakes": {k: values(v) for k, v in t["mistakes"].items() if k not in leave.mistakes}}
              for t in stored["trials"]]
    return {**stored, "trials": trials}


class _Dumper(yaml.SafeDumper):
    """YAML a person can read: multi-line text as | blocks, keys in the order given."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _text)


def dump_yaml(data: dict, *, flow_leaves: bool = True) -> str:
    """YAML text for `data`, unicode kept, keys unsorted; lists and mappings of plain values on one line if asked."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120,
                     default_flow_style=None if flow_leaves else False)


def public_exercise(exercise: Exercise, expected_name: str) -> dict:
    """The exercise's YAML data without anything that gives an answer away, pointing at its stored expectations."""
    raw = yaml.safe_load(exercise.path.read_text(encoding="utf-8"))
    leave = withheld(exercise)
    data: dict = {}
    for key in PUBLIC_KEYS:
        if key not in raw:
            continue
        value = raw[key]
        if key == "trials":
            value = {"public": list(value["public"])}
        elif key == "mistakes":
            value = [{k: m[k] for k in PUBLIC_MISTAKE_KEYS if k in m} for m in value if m["id"] not in leave.mistakes]
            for mistake in value:
                if "checks" in mistake:
                    mistake["checks"] = [c for c in mistake["checks"] if c not in leave.checks]
        elif key == "checks":
            value = [raw_check for raw_check, check in zip(value, exercise.checks) if not check.hidden]
        elif key == "points":
            value = sum(c.points for c in exercise.checks if not c.hidden)
        elif key == "probes":
            value = {name: code for name, code in value.items() if name not in leave.names}
        data[key] = value
        if key == "trials":
            data["expected"] = expected_name
    return data


def _write(path: Path, text: str, written: list[Path]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    written.append(path)


def write_bundle(settings: Settings, out: Path, *, exercise_ids: Sequence[str] = (), torch: TorchPin,
                 force: bool = False) -> list[Path]:
    """Write the student bundle into `out` and prove it loads; return the files written."""
    from ..grade import course_trials
    from ..notebook import starter_notebook
    from ..oracle import build_oracle
    from ..starter import starter_text
    from .stored import load_stored, stored_data

    if out.exists() and any(out.iterdir()) and not force:
        raise UsageError(f"{out} is not empty; choose a new folder or add --force to write over the bundle there")
    ids = list(exercise_ids) or list(exercise_files(settings.exercises_dir))
    exercises = [load_exercise(settings.exercises_dir, each, settings) for each in ids]
    written: list[Path] = []
    header = ("# Settings for grading your work in this folder (`grade` finds this file from here).\n"
              "# Hidden trials (hidden_trials: 0 here) run when your work is graded with the instructor's course.\n")
    _write(out / "config.yaml", header + config_text(settings, hidden_trials=0, for_students=True), written)
    copy_fixtures(settings, out, written)  # the grader builds the exercises' fixture inputs from it, there too
    shipped = load_settings(out / "config.yaml")  # proves the copy is a config this grader reads
    for exercise in exercises:
        data_path = out / "exercises" / f"{exercise.path.stem}.expected.json"
        limits = settings.for_exercise(exercise.limits).limits
        stored = _strip(stored_data(exercise, build_oracle(exercise), max_elements=limits.max_tensor_elements,
                                    timeout_s=limits.timeout_s, handin_trials=course_trials(exercise, settings)),
                        withheld(exercise))
        _write(data_path, _json(stored), written)
        yaml_path = out / "exercises" / exercise.path.name
        header = (f"# {exercise.id}, as shipped to students: no reference, no hidden trials. Grading uses the\n"
                  f"# reference's values on the public trials, stored in {data_path.name}.\n")
        hidden = [c for c in exercise.checks if c.hidden]
        if hidden:
            header += (f"# {len(hidden)} hidden check(s), {sum(c.points for c in hidden):g} point(s), are graded only "
                       f"when the work is handed in.\n")
        _write(yaml_path, header + dump_yaml(public_exercise(exercise, data_path.name)), written)
        load_stored(parse_exercise(yaml_path, shipped))  # the bundle must grade: fail here, not in a student's hands
        _write(out / f"{exercise.id}.py", starter_text(exercise), written)
        _write(out / "notebooks" / f"{exercise.id}.ipynb", starter_notebook(exercise), written)
    _write(out / "README.md", _readme(exercises, torch), written)
    written += write_grader_source(out / SOURCE_DIR)
    return written


def copy_fixtures(settings: Settings, course: Path, written: list[Path]) -> None:
    """Copy the course's fixtures file as fixtures.py beside the copy's config.yaml, where the grader looks for it.

    Students receive it (they run the grader themselves); the sandboxed child never reads it, there as here.
    """
    if settings.fixtures is not None:
        target = course / "fixtures.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(settings.fixtures, target)
        written.append(target)


def _json(data: dict) -> str:
    import json

    return json.dumps(data, separators=(",", ":"), allow_nan=True) + "\n"


def config_text(settings: Settings, *, hidden_trials: int, for_students: bool = False) -> str:
    """config.yaml for a copy of the course whose exercises sit in ./exercises: the course's limits and tolerances.

    A student grades only their own code, on whatever machine they have, so their copy drops the course's floor on
    sandbox strength (`require`), which is there for grading other people's code.
    """
    sandbox = dataclasses.asdict(settings.limits)  # every limit config.yaml knows, under the same names
    sandbox.update({cap: getattr(settings.caps, cap) for cap in EXERCISE_LIMITS.values()})  # exercises' limits fit
    if for_students:
        sandbox.pop("require", None)
    data = {"schema": 1, "exercises_dir": "exercises", "hidden_trials": hidden_trials, "sandbox": sandbox,
            "tolerance": {"rtol": settings.rtol, "atol": settings.atol}}
    return dump_yaml(data)


def _readme(exercises: list[Exercise], torch: TorchPin) -> str:
    rows = "\n".join(f"| `{e.id}` | {e.title} | {e.points:g} | `{e.id}.py` | `notebooks/{e.id}.ipynb` |"
                     for e in exercises)
    first = exercises[0].id if exercises else "ex01"
    return f"""# Autograd exercises

Each exercise asks you to write one function with PyTorch autograd. Check your answer here, as often as you like:
`grade` runs your code in a sandbox, compares it with the expected values, and explains every mismatch.

## Set up (once)

Python 3.10 or newer, from this folder:

```
python3 -m venv .venv && . .venv/bin/activate
pip install {torch.pip_args}
pip install ./{SOURCE_DIR}
```

## Work

| exercise | title | points | starter | notebook |
| --- | --- | --- | --- | --- |
{rows}

```
grade list                          # the exercises
grade show {first}                     # the prompt and the function to define
grade {first}                          # grade {first}.py (or {first}.ipynb) in this folder
grade {first} notebooks/{first}.ipynb    # grade a notebook
```

Edit `{first}.py` (or the notebook) until `grade {first}` passes every check. Here your code runs on the public trials
only; when you hand it in, it is also graded on hidden trials (fresh random inputs), so make it correct in
general, not just for these inputs. The time limit covers all the trials of a run, so the report also says how long
the hand-in trials would take at your code's pace. A notebook is graded through the function it defines, or through its variables:
then its cells are re-run on each trial's inputs (the report says how).
"""
