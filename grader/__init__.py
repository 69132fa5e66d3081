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


# grader.check, grader.check_all and %load_ext grader's hook, resolved on first use (PEP 562) from
# grader.platforms.notebookcheck: `import grader` then imports nothing, least of all torch or IPython, and the
# package entry point holds no import of a module that itself imports this package (for __version__).
_NOTEBOOK = ("check", "check_all", "load_ipython_extension")


def __getattr__(name: str) -> object:
    """Load the notebook entry points (check, check_all, load_ipython_extension) when first asked for."""
    if name in _NOTEBOOK:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.platforms.notebookcheck"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_NOTEBOOK])
