"""A Jupyter notebook (.ipynb bytes) -> the code cells to run, as plain Python; and a starter notebook."""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .exercise import Exercise

VERSIONS = (3, 4)  # nbformat major versions read; 3 is upgraded to 4
TAG = re.compile(r"ex\d{2}")
KEEP_BODY = {"time": "timing it", "timeit": "timing it", "prun": "profiling it", "capture": "capturing its output"}
OPTIONS_WITH_VALUE = {"time": "", "timeit": "nrp", "prun": "DlsT"}
AUTOMAGIC = re.compile(r"(pip|conda|matplotlib|load_ext|autoreload|time|timeit)\s+\S")
MAGIC = re.compile(r"(%{1,2})(\w*)(.*)")
ASSIGN = re.compile(r"([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*([!%].*)")
HELP = re.compile(r"\?{1,2}\s*[\w.*%]*|[\w.*%]+\s*\?{1,2}")
NOTE_WIDTH = 60
STRUCTURE = {3: "nbformat 3 expects 'worksheets': a list of objects, each with a list of 'cells'",
             4: "nbformat 4 expects 'cells': a list of objects, each with a 'cell_type' and a 'source'"}
JSON_NAMES = {list: "a JSON array", str: "a JSON string", int: "a number", float: "a number", bool: "true or false",
              type(None): "null"}


@dataclass(frozen=True)
class Cell:
    """One code cell of a notebook, as Python to run."""

    number: int
    source: str
    notes: tuple[str, ...]
    tags: tuple[str, ...]
    skipped: bool = False


class NotebookProblem(Exception):
    """The file is not a notebook we can grade; .message names the file (and line when known) and what to do."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _shown(text: str) -> str:
    """Quote a line for a note, shortened."""
    text = text.strip()
    return repr(text if len(text) <= NOTE_WIDTH else text[: NOTE_WIDTH - 3] + "...")


def _shown_json(value: Any) -> str:
    """Show a JSON value in a message, shortened."""
    text = json.dumps(value)
    return text if len(text) <= 20 else text[:17] + "..."


def _compiles(text: str) -> bool:
    """Tell whether the text is Python."""
    try:
        compile(text, "<cell>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


def _tokenizes(lines: list[str]) -> bool | None:
    """Tell whether these lines end outside any string or bracket (None: the tokenizer gave up)."""
    try:
        for _ in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            pass
    except tokenize.TokenError:
        return False
    except Exception:  # IndentationError, SyntaxError (3.12+): not a continuation problem
        return None
    return True


def _statement(name: str, rest: str) -> str:
    """Return the statement after a %time/%timeit/%prun magic, without the magic's options."""
    rest = rest.strip()
    while name != "time" and (option := re.match(r"-(\w)(\S*)\s*", rest)):
        rest = rest[option.end():]
        if option.group(1) in OPTIONS_WITH_VALUE[name] and not option.group(2):
            rest = re.sub(r"^\S+\s*", "", rest, count=1)
    return rest


def _line(line: str, number: int) -> tuple[str, str] | None:
    """Rewrite one line that starts a statement if it is IPython syntax: (new line, note), else None."""
    stripped = line.strip()
    indent = line[: len(line) - len(line.lstrip())]
    target = ""
    assign = ASSIGN.fullmatch(stripped)
    if assign and not _compiles(stripped):
        target, stripped = assign.group(1), assign.group(2)
    if stripped.startswith("!"):
        return indent + "pass", f"line {number}: skipped shell command {_shown(line)}"
    if not stripped.startswith("%") and AUTOMAGIC.match(stripped) and not _compiles(stripped):
        stripped = "%" + stripped
    magic = MAGIC.fullmatch(stripped)
    if magic and magic.group(1) == "%" and magic.group(2) in OPTIONS_WITH_VALUE:
        statement = _statement(magic.group(2), magic.group(3))
        if statement:
            kept = f"{target} = {statement}" if target else statement
            return indent + kept, f"line {number}: ran {_shown(line)} without {KEEP_BODY[magic.group(2)]}"
    if magic:
        return indent + "pass", f"line {number}: skipped IPython magic {_shown(line)}"
    if not target and HELP.fullmatch(stripped) and "?" in stripped:
        return indent + "pass", f"line {number}: skipped help request {_shown(line)}"
    return None


def _transform(text: str) -> tuple[str, list[str], bool]:
    """Return (python, notes, skipped) for one cell's text."""
    if _compiles(text):
        return text, [], False
    lines = text.split("\n")
    notes: list[str] = []
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = MAGIC.fullmatch(lines[first].strip())
        name = magic.group(2) if magic else ""
        if name not in KEEP_BODY:
            return "", [f"line {first + 1}: skipped the whole cell: %%{name} is not Python"], True
        notes.append(f"line {first + 1}: ran the body of the %%{name} cell without {KEEP_BODY[name]}")
        lines[first] = ""
    anchor = 0  # a line known to start a statement: tokenizing from it is enough
    budget = 20 * len(lines) + 20_000  # lines to tokenize at most; past it, lines in doubt are left alone
    for i, line in enumerate(lines):
        rewritten = _line(line, i + 1) if line.strip() else None
        if rewritten is None:
            continue
        budget -= i - anchor
        starts = _tokenizes(lines[anchor:i]) if budget > 0 else False
        if starts is None and anchor:
            starts = _tokenizes(lines[:i])
        if starts is False:  # inside a string or brackets: not IPython syntax
            continue
        anchor = i
        lines[i], note = rewritten
        notes.append(note)
    return "\n".join(lines), notes, False


def python_source(text: str) -> tuple[str, list[str]]:
    """Turn one cell's IPython text into plain Python, with notes (1-based lines) on what was changed."""
    source, notes, _ = _transform(text)
    return source, notes


def _tags(metadata: Any) -> tuple[str, ...]:
    """Collect the exercise ids a cell's metadata tags it with."""
    if not isinstance(metadata, dict):
        return ()
    found: list[Any] = []
    grader = metadata.get("grader")
    if isinstance(grader, dict):
        found.append(grader.get("exercise"))
    if isinstance(metadata.get("tags"), list):
        found.extend(metadata["tags"])
    tags = [tag for tag in found if isinstance(tag, str) and TAG.fullmatch(tag)]
    return tuple(dict.fromkeys(tags))


def _parse(raw: bytes, path: str) -> dict:
    """Decode and parse the JSON of a notebook file."""
    advice = "save it again from Jupyter, or copy its code cells into a .py file"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise NotebookProblem(f"{path}, line {line}: the notebook is not UTF-8 text "
                              f"(byte {raw[exc.start]:#04x}); {advice}", line) from None
    if not text.strip():
        raise NotebookProblem(f"{path}: the file is empty, not a notebook; {advice}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookProblem(f"{path}, line {exc.lineno}, column {exc.colno}: the notebook is not valid JSON "
                              f"({exc.msg}); {advice}", exc.lineno) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise NotebookProblem(f"{path}: the notebook's JSON cannot be read ({exc}); {advice}") from None
    if isinstance(data, dict) and "nbformat" in data and ("cells" in data or "worksheets" in data):
        return data
    if isinstance(data, dict):
        what = "an object without " + " or ".join(repr(k) for k in ("nbformat", "cells") if k not in data)
    else:
        what = JSON_NAMES.get(type(data), "a JSON value")
    raise NotebookProblem(f"{path}: the file is JSON but not a Jupyter notebook (it holds {what}); "
                          f"grade a .ipynb saved by Jupyter, or a .py file")


def _cells_only(cells: Any) -> Any:
    """Drop stored outputs and attachments and default missing metadata, so nbformat reads only what is graded."""
    if not isinstance(cells, list):
        return cells
    return [{**{key: value for key, value in cell.items() if key not in ("outputs", "attachments")},
             "metadata": cell["metadata"] if isinstance(cell.get("metadata"), dict) else {},
             **({"outputs": []} if cell.get("cell_type") == "code" else {})} if isinstance(cell, dict) else cell
            for cell in cells]


def _lenient(data: dict) -> dict:
    """Return the notebook JSON with outputs dropped and optional fields filled in."""
    data = {**data, "metadata": data["metadata"] if isinstance(data.get("metadata"), dict) else {}}
    if "cells" in data:
        data["cells"] = _cells_only(data["cells"])
    if isinstance(data.get("worksheets"), list):
        data["worksheets"] = [{**ws, "cells": _cells_only(ws.get("cells", []))} if isinstance(ws, dict) else ws
                              for ws in data["worksheets"]]
    return data


def read_notebook(raw: bytes, path: str) -> tuple[Cell, ...]:
    """Parse notebook bytes with nbformat into the code cells to run, in order; raise NotebookProblem for a bad file."""
    import nbformat

    data = _parse(raw, path)
    major = data["nbformat"]
    understood = " and ".join(f"nbformat {v}" for v in VERSIONS)
    if major not in VERSIONS or isinstance(major, bool):
        raise NotebookProblem(f"{path}: the notebook has nbformat {_shown_json(major)}; this grader reads "
                              f"{understood} notebooks; open and save it in a current Jupyter, or copy its code "
                              f"into a .py file")
    try:
        notebook = nbformat.versions[major].to_notebook_json(_lenient(data), minor=data.get("nbformat_minor", 0))
        notebook = nbformat.convert(notebook, 4)  # lenient: validation problems are only logged, never raised
        cells = notebook["cells"]
        if not isinstance(cells, list):
            raise TypeError("'cells' is not a list")
    except Exception:  # nbformat raises many kinds for malformed input; all mean the same to a student
        expected = STRUCTURE[major]
        raise NotebookProblem(f"{path}: the notebook's structure is damaged ({expected}); save it again from "
                              f"Jupyter, or copy its code into a .py file") from None
    found: list[Cell] = []
    number = 0  # the code cell's ordinal, as a student counts the cells they run: markdown cells are not counted
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        number += 1
        text = cell.get("source", "")
        if isinstance(text, list) and all(isinstance(part, str) for part in text):
            text = "".join(text)
        if not isinstance(text, str):
            raise NotebookProblem(f"{path}: cell {number}'s source is not text; save the notebook again from "
                                  f"Jupyter")
        source, notes, skipped = _transform(text)
        found.append(Cell(number=number, source=source, notes=tuple(f"cell {number}, {note}" for note in notes),
                          tags=_tags(cell.get("metadata")), skipped=skipped))
    if not found:
        raise NotebookProblem(f"{path}: the notebook has no code cells; write your answer in a code cell")
    return tuple(found)


def starter_notebook(exercise: Exercise) -> str:
    """Build a starter notebook (nbformat v4 JSON text): the prompt as markdown, then a tagged code cell."""
    import nbformat
    from nbformat import v4

    from .starter import starter_text

    text = starter_text(exercise)
    first = ast.parse(text).body[0]
    docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    code = "\n".join(text.split("\n")[(first.end_lineno or 0) if docstring else 0:]).strip("\n")
    if not re.search(r"^import torch\b", code, re.MULTILINE):
        code = "import torch\n\n" + code
    prompt = v4.new_markdown_cell(f"# {exercise.id}: {exercise.title}\n\n{exercise.prompt}\n\n"
                                  f"Check your answer with: `grade {exercise.id}`", id=f"{exercise.id}-prompt")
    answer = v4.new_code_cell(code, id=f"{exercise.id}-answer", metadata={"grader": {"exercise": exercise.id}})
    notebook = v4.new_notebook(cells=[prompt, answer], metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    return nbformat.writes(notebook) + "\n"
