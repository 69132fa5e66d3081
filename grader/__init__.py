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
"""

__version__ = "0.1.0"
