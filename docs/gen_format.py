"""Rewrite the generated tables of docs/exercise-format.md from grader/schema.py, so they cannot drift.

Each table sits between `<!-- generated: NAME -->` and `<!-- end: NAME -->`; everything else in the page is prose
kept by hand. Run from the repository root:  python docs/gen_format.py   (tests/test_docs.py checks it is current)
"""

from __future__ import annotations

import re
from pathlib import Path

from grader import schema

PAGE = Path(__file__).resolve().parent / "exercise-format.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _badge(entry: schema.Entry) -> str:
    return f" *schema {entry.since}*" if entry.since > 1 else ""


def keys(entries: tuple[schema.Entry, ...]) -> str:
    rows = ["| key | required | meaning |", "| --- | --- | --- |"]
    rows += [f"| `{e.name}`{_badge(e)} | {e.required} | {_cell(e.meaning)} |" for e in entries]
    return "\n".join(rows)


def inputs() -> str:
    rows = ["| kind | example | notes |", "| --- | --- | --- |"]
    rows += [f"| `{e.syntax or e.name}`{_badge(e)} | {e.example} | {_cell(e.meaning)} |" for e in schema.INPUT_KINDS]
    return "\n".join(rows)


def checks() -> str:
    rows = ["| kind | passes when | diagnoses |", "| --- | --- | --- |"]
    for e in schema.CHECK_KINDS:
        codes = ", ".join(f"`{code}`" if code.isidentifier() else f"the check's `{code.split()[-1]}`"
                          for code in e.diagnoses)
        rows.append(f"| `{e.name}`{_badge(e)} | {_cell(e.meaning)} | {codes} |")
    return "\n".join(rows)


TABLES = {
    "top-level": lambda: keys(schema.TOP_LEVEL),
    "inputs": inputs,
    "contract": lambda: keys(schema.CONTRACT_KEYS),
    "check-options": lambda: keys(schema.CHECK_OPTIONS),
    "checks": checks,
    "mistakes": lambda: keys(schema.MISTAKE_KEYS),
}


def render(page: str) -> str:
    """`page` with every generated table replaced by what grader/schema.py says now."""
    for name, table in TABLES.items():
        pattern = re.compile(rf"(<!-- generated: {name} -->\n).*?(\n<!-- end: {name} -->)", re.DOTALL)
        if not pattern.search(page):
            raise SystemExit(f"{PAGE}: no '<!-- generated: {name} -->' ... '<!-- end: {name} -->' block")
        page = pattern.sub(lambda m: m.group(1) + table() + m.group(2), page)
    return page


def main() -> None:
    PAGE.write_text(render(PAGE.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote the {len(TABLES)} generated tables of {PAGE.name}")


if __name__ == "__main__":
    main()
