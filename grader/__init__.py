"""autograd-grader: grade PyTorch autograd exercises with torch autograd as the oracle.

The tree reads as the architecture, from the bottom up (tests/test_layers.py holds every module to it):

- course files in: errors, codes, config, yamlfile, exercise, fixtures, inputs, source, notebook, starter, and the
  one result model (result, export). They import nothing of the layers above.
- sandbox/: runs a submission in a confined child and brings back plain data. It may import the modules above
  only; never the oracle or any judging stage, so the child cannot reach a reference.
- the pipeline: oracle, deadline, compare, kinds, diagnose, byhand, grade, states, report. grade.py is the entry
  (prepare, expectations, conclude); it imports the sandbox and the course files, never a layer above.
- exports/: grades -> other platforms' formats, pure.
- course/ (a class: batch, gradebook, reports, check-exercises) and platforms/ (the student bundle, Classroom,
  Gradescope): they call the pipeline; neither imports the other, and nothing below imports them.
- cli/: the click commands, the only code that prints or exits.

In a notebook, `grader.check("ex03")` (or `%grade ex03` after `%load_ext grader`) grades the cells the kernel ran
(grader.platforms.notebookcheck); these entry points import it on call, so `import grader` stays light.
"""

__version__ = "0.1.0"


def check(exercise: str, **options: object) -> None:
    """Grade the cells this notebook's kernel ran (or the calling script) against `exercise`; show the report.

    Options: config= (a config.yaml; default: the course found from the working folder, as `grade` finds it),
    notebook= (the .ipynb this kernel runs, when the front end does not say), timeout_s= (default 120)."""
    from .platforms.notebookcheck import check as run_check

    run_check(exercise, **options)  # type: ignore[arg-type]


def check_all(**options: object) -> None:
    """Grade the cells this kernel ran against every exercise they answer, with one total; options as check()."""
    from .platforms.notebookcheck import check as run_check

    run_check("all", **options)  # type: ignore[arg-type]


def load_ipython_extension(ipython: object) -> None:
    """`%load_ext grader`: define the %grade magic."""
    from .platforms.notebookcheck import register_magic

    register_magic(ipython)
