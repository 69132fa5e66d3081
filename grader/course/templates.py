"""The files `grade init` and `grade new` write, as string.Template texts ($id, $title, ...): one small real course."""

from __future__ import annotations

from string import Template

CONFIG = Template("""\
# Course settings for the autograd grader (`grade`); command-line options (--timeout, --memory) override them.
schema: 1                 # the config format: this grader reads schema 1
exercises_dir: exercises  # the exercise files, exercises/exNN_<slug>.yaml
solutions_dir: solutions  # reference answers solutions/exNN.py; known-wrong variants in solutions/wrong/
hidden_trials: 3          # fresh random seeds per grading run, on top of each exercise's public seeds
sandbox:                  # limits for each submission's sandboxed process
  timeout_s: 10           # wall-clock seconds for all trials of one submission (also bounds your reference code)
  memory_mb: 2048         # address space a submission may add on top of torch itself
  output_limit_kb: 1024   # printing more than this stops the run (output_limit)
  result_limit_mb: 32     # the most a submission's process may send back to the grader
  max_tensor_elements: 1000000  # the largest tensor the grader reads back element by element
  pid_namespace: false    # only where the launcher cannot get its own process tree: then one tree per child (~30 ms)
  require: portable       # or baseline / namespaces / own_process_tree: refuse to grade on a machine that isolates less
  runner: auto            # portable: start children as subprocesses, never by fork (the only way on Windows, macOS)
tolerance:                # defaults for every check; a check may set its own rtol / atol
  rtol: 1.0e-4            # relative tolerance
  atol: 1.0e-6            # absolute tolerance
# deadlines:              # due times and the late policy; `grade export` and `grade report` apply them (docs/deadlines.md)
#   timezone: Europe/Berlin          # IANA name: due and CSV times without an offset are read in it (default UTC)
#   submitted: mtime                 # mtime (newest file), git (last commit of the student's own repository), or
#                                    # {csv: times.csv, student: login, time: submitted, exercise: assignment}
#   default:                         # every exercise without an entry of its own or of its assignment
#     due: "2026-10-01 23:59"        # quoted; or ISO 8601 with an offset: "2026-10-01T23:59:00+02:00"
#     policy: {percent_per_day: 10}  # none | cutoff | {percent_per_day: N}; a started day late counts whole
#     grace: 15m                     # s, m, h or d after the due time that is not late yet
#     max_days: 5                    # percent_per_day only: more days late than this scores 0
#   exercises:                       # per exercise; keys left out come from default
#     ex01: {due: "2026-10-08 12:00", policy: cutoff}
#   assignments:                     # several exercises due together
#     hw1: {exercises: [ex01], due: "2026-09-20 23:59"}
# Per-student extensions: grade extend alice ex01 --days 2 --reason "..."
""")

FIXTURES = Template('''\
"""Course fixtures: objects your exercises hand to students as inputs, built by trusted code of yours.

Every top-level public function in this file (a name without a leading underscore) is a fixture:

- An input `{fixture: name}` calls name() with no arguments under the trial's seed (so random initial weights are
  the same for the reference and the student, and differ from trial to trial) and passes the object it returns:

      inputs:
        model: {fixture: small_mlp}

- An input `{callable: [name, ...]}` passes one of the named functions itself (the trial picks which), for an
  exercise about a function the student does not know in advance:

      inputs:
        f: {callable: [sin_exp, cubic_sum]}

Students never receive this file: only what its functions build reaches their code. See the grader's
docs/exercise-format.md (inputs) and docs/authoring.md.
"""

import torch
from torch import nn


def small_mlp() -> nn.Module:
    """A 4 -> 8 -> 3 multilayer perceptron with tanh: a model small enough for every trial."""
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))


def sin_exp(x: torch.Tensor) -> torch.Tensor:
    """A scalar function of a tensor: sum(exp(sin(x)))."""
    return torch.sin(x).exp().sum()


def cubic_sum(x: torch.Tensor) -> torch.Tensor:
    """A scalar function of a tensor: sum(x**3)."""
    return (x**3).sum()
''')

README = Template("""\
# $name: autograd exercises

A course for the autograd grader (`grade`): exercises in `exercises/`, reference answers in `solutions/`,
known-wrong answers in `solutions/wrong/`, correct answers in another style in `solutions/right/` (each must score
full marks), course fixtures in `fixtures.py`, settings in `config.yaml`.
Run every command below from this folder.

## Writing an exercise

1. `grade new ex02 "Gradient of a sum of squares"` writes `exercises/ex02_<slug>.yaml` (every section present or
   commented, with one line on what it does), `solutions/ex02.py` and a known-wrong `solutions/wrong/ex02_*.py`.
2. Edit the three: the prompt, contract, inputs, reference and checks in the YAML; the solution; the wrong variant
   (its `# expect:` line names the diagnosis, error kind or mistake id it must fail with). Add more wrong variants.
3. `grade check-exercises ex02`: the solution must score full marks, each wrong variant fail as it says, each known
   mistake run and be told apart. `grade check-exercises --invert ex02`: the starter must fail every check.
4. `grade show ex02`, `grade start ex02`: what students see; `grade ex02 solutions/wrong/ex02_backward_twice.py`:
   the report a student who made that mistake reads.
5. `grade bundle -o student/`: what students receive (no solutions, no hidden trials); then `grade classroom init`
   or `grade gradescope build` (see the grader's docs/platforms.md).

The tutorial and cookbook are the grader's docs/authoring.md; every key of an exercise file is in its
docs/exercise-format.md, and every diagnosis in docs/diagnoses.md.
""")

EXERCISE = Template("""\
# $id: an exercise for the autograd grader, written by `grade new`. Edit it, then: grade check-exercises $id
# Every key is in the grader's docs/exercise-format.md; docs/authoring.md walks through one exercise.
schema: 2                 # the exercise format (2: class contracts, rules, limits, hints, ...)
id: $id                  # must begin the file name
version: 1                # bump when you change the exercise: every grade records it
title: $title
points: 10                # the sum of the checks' points
prompt: |                 # markdown: shown by `grade show $id` and at the top of the starter
  Given a 1-D tensor `x` that requires grad, compute `y = (x**2).sum()`, call
  `y.backward()` once, and return `y`. Autograd then leaves dy/dx = 2x in `x.grad`.

# contract: the function students define, its signature as shown to them, and a name for each returned value.
contract:
  function: square_sum
  signature: "square_sum(x: torch.Tensor) -> torch.Tensor"
  returns: [y]
# Or a class (schema 2): students write `class Exp(torch.autograd.Function)` and the grader calls Exp.apply(...);
# with base: torch.nn.Module it builds Net(**init) under the trial's seed, reachable in checks as `instance`.
#   class: Exp
#   base: torch.autograd.Function
#   returns: [y]

# dims: named sizes, drawn per trial from [low, high] (or fixed: n: 4); tensor shapes may use them.
dims:
  n: [2, 6]

# inputs: the arguments in call order, built from the trial's seed, the same for the reference and the student:
# tensor (dist, dtype, requires_grad), float/int: [low, high], choice: [...], value: x, and from fixtures.py
# fixture: name (the object it builds) or callable: [name, ...] (one of those functions itself).
inputs:
  x: {tensor: [n], dist: normal, requires_grad: true}

# trials: public seeds are fixed; `hidden: N` fresh seeds per grading run (default: hidden_trials in config.yaml).
trials:
  public: [0, 1]
  # hidden: 3

# limits: this exercise's own sandbox limits, within the caps in config.yaml (default: the course's sandbox values).
# limits: {timeout_s: 20, memory_mb: 4096}

# rules: what the code must or must not call, read in the source and counted while it runs (diagnosis: rule).
# rules:
#   requires: [torch.func.vmap]
#   forbids: [torch.autograd.functional.hessian, in_place_on_inputs]
#   uses_autograd: true

# reference: the correct answer, run in the grading process on every trial; students never see it.
reference: |
  def square_sum(x):
      y = (x**2).sum()
      y.backward()
      return y

# probes: optional code run on the returned objects and inputs after the call; a check can target a probe by name.
# probes:
#   grad_norm: |
#     def probe(x):
#         return x.grad.norm().item()

# checks: what is scored; a check passes when it passes on every trial. Kinds:
# $kinds.
# Any check may add hint: "..." (read when it fails for no more specific reason) and hidden: true (scored, with
# its details for the instructor only).
checks:
  - {name: y, kind: value, target: y, points: 4}
  - {name: x.grad, kind: grad, target: x, points: 6}

# mistakes: known wrong approaches; a student whose result matches one (and not the reference) reads its message.
mistakes:
  - id: backward-twice
    diagnosis: accumulated
    message: >-
      x.grad holds twice dy/dx = 2x: backward() ran twice, and .grad adds up across calls.
      Call y.backward() once (or clear x.grad in between).
    checks: [x.grad]
    code: |
      def square_sum(x):
          y = (x**2).sum()
          y.backward(retain_graph=True)
          y.backward()
          return y
# A mistake may be an exception instead: raises: RuntimeError, match: "a regex on its message",
# diagnosis: exception; a student whose code raises it reads the message, not torch's.

# starter: the file students start from (`grade start $id`); it must fail every check (check-exercises --invert).
starter: |
  import torch


  def square_sum(x: torch.Tensor) -> torch.Tensor:
      # TODO: compute y = (x**2).sum(), call y.backward() once, return y
      raise NotImplementedError

# notebook: how a free-form notebook answers, by variable names (docs/exercise-format.md, free-form notebooks).
# notebook:
#   args: {x: x}
#   returns: {y: y}
""")

SOLUTION = Template('''\
"""Reference answer for $id: $title_text."""

import torch


def square_sum(x: torch.Tensor) -> torch.Tensor:
    y = (x**2).sum()
    y.backward()
    return y
''')

WRONG = Template('''\
# expect: backward-twice
# check: x.grad
"""Calls backward() twice: x.grad holds 4x instead of 2x (the exercise's known mistake backward-twice)."""
import torch


def square_sum(x):
    y = (x**2).sum()
    y.backward(retain_graph=True)
    y.backward()
    return y
''')

WRONG_NAME = "backward_twice"  # solutions/wrong/<id>_<this>.py
