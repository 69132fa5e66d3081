"""A class's submissions for one exercise -> groups of near-identical ones, as evidence for a human to read.

Each submission is normalized (grader/course/normalize.py), cut into winnowed k-gram fingerprints of its token
stream (MOSS's method), and stripped of the fingerprints the starter code has: code every student was given is
no evidence of copying. Pairs are found through an index of fingerprints, so only submissions that share one are
ever compared, and pairs at or above the threshold are joined into groups. Nothing here runs student code, and
nothing here changes a score.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from .normalize import Token, Unparsable, fallback_tokens, normalize
from .roster import Job

MAX_FILE_BYTES = 256 * 1024  # a bigger .py file is reported, not parsed
MAX_NOTEBOOK_BYTES = 10 * MAX_FILE_BYTES  # a notebook carries its stored outputs; its code is held to MAX_FILE_BYTES
K = 5  # tokens per k-gram: about one short statement
WINDOW = 4  # winnowing window: any match of K + WINDOW - 1 tokens shares at least one fingerprint
MIN_OWN = 4  # fingerprints of its own a submission needs before it is compared: fewer is too little to judge
EXCERPT_LINES = 8


@dataclass(frozen=True)
class Prepared:
    """One student's submission as fingerprints: all of them, and those not in the starter."""

    student: str
    file: str  # relative to the submissions folder
    method: str  # "syntax" (normalized tree), "tokens" (did not parse), "skipped" (not read)
    problem: str | None  # why it was read by tokens or skipped
    fingerprints: dict[int, int]  # fingerprint -> index of its first token
    own: frozenset[int]  # fingerprints neither the starter nor most of the class has
    tokens: tuple[Token, ...]
    starter_share: float  # of its fingerprints, the share the starter has too
    cells: tuple[tuple[int, int], ...] = ()  # a notebook's (first line, cell number), to name lines as cells


@dataclass(frozen=True)
class Pair:
    a: int
    b: int
    similarity: float  # Jaccard: shared / either, of the own fingerprints
    containment: float  # shared / the smaller one's own fingerprints


@dataclass(frozen=True)
class Group:
    """Students whose submissions are joined by pairs at or above the threshold."""

    number: int
    members: tuple[str, ...]
    min_similarity: float  # over every pair of members (pairs that share nothing count 0)
    avg_similarity: float
    best: dict[str, dict[str, float]]  # member -> other member -> similarity, for pairs that share fingerprints
    lines: dict[str, str]  # member -> where its shared code is: "lines 3-7" or "cell 2, lines 1-4"
    excerpt: tuple[str, ...]  # the shared normalized code of the closest pair, with each one's line numbers


@dataclass(frozen=True)
class Similarity:
    """One `grade similar` run over an exercise."""

    exercise: str
    threshold: float
    submissions: tuple[Prepared, ...]
    groups: tuple[Group, ...]
    pairs_compared: int
    common_removed: int  # fingerprints dropped because most of the class has them
    missing: tuple[str, ...]  # students with no file for the exercise


def grams(tokens: list[Token] | tuple[Token, ...]) -> list[int]:
    """The hash of every k-gram of the token stream (one, of all of it, when it is shorter than K)."""
    texts = [text for text, _ in tokens]
    return [_hash(texts[i:i + K]) for i in range(max(1, len(texts) - K + 1))] if texts else []


def fingerprints(tokens: list[Token] | tuple[Token, ...]) -> dict[int, int]:
    """Winnow the token stream's k-gram hashes: fingerprint -> index of the first token of its first k-gram."""
    hashes = grams(tokens)
    chosen: dict[int, int] = {}
    last = -1
    for start in range(max(1, len(hashes) - WINDOW + 1)) if hashes else ():
        window = hashes[start:start + WINDOW]
        low = min(window)
        at = start + max(i for i, h in enumerate(window) if h == low)  # the rightmost minimum, as winnowing says
        if at != last:
            chosen.setdefault(hashes[at], at)
            last = at
    return chosen


def _hash(gram: list[str]) -> int:
    return int.from_bytes(hashlib.blake2b("\x1f".join(gram).encode("utf-8", "replace"), digest_size=8).digest(),
                          "big")


def tokens_of(source: str, keep: frozenset[str], variables: frozenset[str] = frozenset()
              ) -> tuple[list[Token], str | None]:
    """The normalized tokens, and why they came from the token-level fallback (None: the tree was normalized)."""
    try:
        return normalize(source, keep=keep, variables=variables)[1], None
    except Unparsable as exc:
        return fallback_tokens(source, keep), f"does not parse ({exc}); compared by tokens"


def read_code(job: Job, root: Path) -> tuple[str, str | None, tuple[tuple[int, int], ...]]:
    """(code, problem, notebook cells) of a job's first file, read with a size limit and never run."""
    from ..source import parse_submission, units_for

    path = job.files[0]
    try:
        if not path.resolve().is_relative_to(root.resolve()):
            return "", "a link to a file outside the submissions folder: not read", ()
        cap = MAX_NOTEBOOK_BYTES if path.suffix == ".ipynb" else MAX_FILE_BYTES
        size = path.stat().st_size
        if size > cap:
            return "", f"{size} bytes, over the {cap // 1024} KB limit: not compared", ()
        with path.open("rb") as handle:
            raw = handle.read(cap + 1)  # the file may have grown since stat
    except OSError as exc:
        return "", f"cannot read it: {exc.strerror or exc}", ()
    if len(raw) > cap:
        return "", f"over the {cap // 1024} KB limit: not compared", ()
    if path.suffix != ".ipynb":
        text = raw.decode("utf-8-sig", errors="replace")
        return text, None if "\ufffd" not in text else "not UTF-8 text: undecodable bytes replaced", ()
    submission = parse_submission(path, raw)
    if submission.problem:
        return "", f"{submission.problem}: not compared", ()
    parts, cells, line = [], [], 1
    for unit in units_for(submission, job.exercise):
        cells.append((line, unit.cell or 0))
        parts.append(unit.source)
        line += unit.source.count("\n") + 1
    code = "\n".join(parts)
    if len(code.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        return "", f"its code cells hold over {MAX_FILE_BYTES // 1024} KB: not compared", ()
    return code, None, tuple(cells)


def prepare(job: Job, root: Path, keep: frozenset[str], variables: frozenset[str] = frozenset()) -> Prepared:
    """Read and fingerprint one student's submission."""
    file = job.files[0].relative_to(root).as_posix() if job.files[0].is_relative_to(root) else job.files[0].name
    code, problem, cells = read_code(job, root)
    if not code and problem:
        return Prepared(job.student, file, "skipped", problem, {}, frozenset(), (), 0.0, cells)
    tokens, fallback = tokens_of(code, keep, variables)
    problem = "; ".join(p for p in (problem, fallback) if p) or None
    return Prepared(job.student, file, "tokens" if fallback else "syntax", problem, fingerprints(tokens),
                    frozenset(), tuple(tokens), 0.0, cells)


def find_similar(exercise: str, jobs: list[Job], root: Path, *, starter: str, keep: frozenset[str],
                 variables: frozenset[str] = frozenset(), threshold: float = 0.8, common: float = 0.5) -> Similarity:
    """Fingerprint every submission, subtract the starter's and the class's common ones, group close pairs.

    A fingerprint more than `common` of the class shares (classes of 10 or more) is dropped like the starter's:
    it is the class's idiom, and keeping it would make the pair step quadratic.
    """
    missing = tuple(job.student for job in jobs if not job.files)
    prepared = [prepare(job, root, keep, variables) for job in jobs if job.files]
    starter_prints = set(grams(tokens_of(starter, keep, variables)[0]))  # every k-gram, not only the winnowed
    counts = Counter(f for p in prepared for f in set(p.fingerprints) - starter_prints)
    read = sum(1 for p in prepared if p.fingerprints)
    limit = common * read if read >= 10 else float("inf")
    too_common = {f for f, n in counts.items() if n > limit}
    final = []
    for p in prepared:
        all_prints = set(p.fingerprints)
        own = frozenset(all_prints - starter_prints - too_common)
        share = len(all_prints & starter_prints) / len(all_prints) if all_prints else 0.0
        final.append(Prepared(p.student, p.file, p.method, p.problem, p.fingerprints, own, p.tokens, share, p.cells))
    pairs, compared = _pairs(final, threshold)
    groups = _groups(final, pairs, threshold)
    return Similarity(exercise, threshold, tuple(final), groups, compared, len(too_common), missing)


def _pairs(prepared: list[Prepared], threshold: float) -> tuple[dict[tuple[int, int], Pair], int]:
    """Every pair that shares an own fingerprint, with its similarity; found through the fingerprint index."""
    index: dict[int, list[int]] = defaultdict(list)
    for i, p in enumerate(prepared):
        if len(p.own) >= MIN_OWN:
            for f in p.own:
                index[f].append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for holders in index.values():
        for x, a in enumerate(holders):
            for b in holders[x + 1:]:
                shared[a, b] += 1
    pairs = {}
    for (a, b), n in shared.items():
        own_a, own_b = len(prepared[a].own), len(prepared[b].own)
        pairs[a, b] = Pair(a, b, n / (own_a + own_b - n), n / min(own_a, own_b))
    return pairs, len(shared)


def _groups(prepared: list[Prepared], pairs: dict[tuple[int, int], Pair], threshold: float) -> tuple[Group, ...]:
    parent = list(range(len(prepared)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for (a, b), pair in sorted(pairs.items()):
        if pair.similarity >= threshold:
            parent[find(a)] = find(b)
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(prepared)):
        members[find(i)].append(i)
    found = []
    for group in members.values():
        if len(group) < 2:
            continue
        sims = [pairs[a, b].similarity if (a, b) in pairs else 0.0 for x, a in enumerate(group) for b in group[x + 1:]]
        found.append((group, min(sims), sum(sims) / len(sims)))
    found.sort(key=lambda g: (-len(g[0]), -g[2], prepared[g[0][0]].student))
    return tuple(_group(number, group, low, mean, prepared, pairs)
                 for number, (group, low, mean) in enumerate(found, 1))


def _group(number: int, group: list[int], low: float, mean: float, prepared: list[Prepared],
           pairs: dict[tuple[int, int], Pair]) -> Group:
    best: dict[str, dict[str, float]] = {prepared[i].student: {} for i in group}
    for x, a in enumerate(group):
        for b in group[x + 1:]:
            if (a, b) in pairs:
                sim = round(pairs[a, b].similarity, 3)
                best[prepared[a].student][prepared[b].student] = sim
                best[prepared[b].student][prepared[a].student] = sim
    lines = {}
    for i in group:
        others = set().union(*(prepared[j].own for j in group if j != i))
        shared = prepared[i].own & others
        lines[prepared[i].student] = _place(prepared[i], {_line(prepared[i], f) for f in shared})
    closest = max(((a, b) for x, a in enumerate(group) for b in group[x + 1:] if (a, b) in pairs),
                  key=lambda ab: pairs[ab].similarity)
    return Group(number, tuple(prepared[i].student for i in group), round(low, 3), round(mean, 3), best, lines,
                 _excerpt(prepared[closest[0]], prepared[closest[1]]))


def _line(p: Prepared, fingerprint: int) -> int:
    return p.tokens[p.fingerprints[fingerprint]][1]


def _place(p: Prepared, lines: set[int]) -> str:
    """Name source lines as ranges ("lines 3-7, 9"), or by notebook cell ("cell 2, lines 1-4")."""
    if not lines:
        return "no shared lines"
    if not p.cells:
        return "lines " + _ranges(sorted(lines))
    by_cell: dict[int, list[int]] = defaultdict(list)
    for line in sorted(lines):
        first, cell = max((c for c in p.cells if c[0] <= line), default=(1, 0))
        by_cell[cell].append(line - first + 1)
    return "; ".join(f"cell {cell}, lines {_ranges(found)}" for cell, found in by_cell.items())


def _ranges(numbers: list[int]) -> str:
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n <= spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _excerpt(a: Prepared, b: Prepared) -> tuple[str, ...]:
    """The normalized code both share, a line of a's at a time, with the line each came from in a and in b."""
    shared = a.own & b.own
    covered: dict[int, int] = {}  # token index in a -> line in b
    for f in shared:
        for k in range(K):
            covered.setdefault(a.fingerprints[f] + k, _line(b, f))
    lines: dict[int, int] = {}  # line in a -> line in b
    for index in sorted(covered):
        if index < len(a.tokens):
            lines.setdefault(a.tokens[index][1], covered[index])
    words: dict[int, list[str]] = defaultdict(list)
    for text, line in a.tokens:
        if line in lines and not (len(text) > 2 and text[0] == "<" and text[-1] == ">"):  # <end>: no code
            words[line].append(text)
    shown = [(line, lines[line], _tidy(words[line])) for line in sorted(lines) if words[line]][:EXCERPT_LINES]
    width = max((len(str(n)) for row in shown for n in row[:2]), default=1)
    return tuple(f"{a.student}:{line:<{width}} {b.student}:{other:<{width}} | {code}" for line, other, code in shown)


def _tidy(words: list[str]) -> str:
    """Tokens joined as code reads: no space around '.', none inside brackets or before ','."""
    text = " ".join(words)
    return re.sub(r" ?([.([]) ?| ([)\],:])", lambda m: m.group(1) or m.group(2), text)
