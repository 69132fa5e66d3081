"""The sandbox: run one submission in a forked, confined child and bring back what it did as plain data.

spawner forks the launcher before any exercise is read, and the launcher forks one child per submission; runner
supervises a child (limits, output, frames); child runs the student's code (freeform: a notebook re-run on each
trial's inputs) after confine has applied isolate's namespaces, seccomp's filter and the limits; cgroups caps the
launcher's tree; protocol frames and validates what the child sends; observe encodes tensors through accessors
captured before student code ran; pool keeps a batch's warm launchers. Where fork cannot serve (Windows, macOS, or
when asked), runners picks the portable runner instead: portable starts pre-warmed interpreters (interpreter, which
runs child.py's code without confine) and supervises them from a thread; winjob holds a Windows process tree.

May import: the course-file modules (errors, config, exercise, inputs, source). Must never import the oracle, the
judging stages (compare, grade, states, ...), course/, platforms/ or cli/: the child never sees a reference, and
it only measures.
"""
