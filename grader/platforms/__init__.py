"""What the course ships to other places: the student bundle and its stored oracle, the GitHub Classroom workflow,
the Gradescope autograder, and installing the grader there.

May import: the pipeline, the sandbox's spawner, exports/ and the course-file modules; stored.py serves the
pipeline's oracle protocol (`expect`) without the pipeline importing it. Must never import course/ or cli/; only
cli/ imports this layer.
"""
