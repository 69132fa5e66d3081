# attack: sys.exit(0) while loading, hoping SystemExit unwinds into the grader
# expect-error: exception
import sys

sys.exit(0)


def q_backward(a, b):
    return a
