"""A class: the roster of a submissions folder, batch grading into the SQLite gradebook, progress, class statistics
and the class report, check-exercises for the course's own exercises, and grade init / grade new to write them.

May import: the pipeline (grade, oracle, report), the sandbox's pool and spawner, exports/, and the course-file
modules. Must never import platforms/ or cli/; only cli/ imports this layer.
"""
