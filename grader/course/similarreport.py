"""A `grade similar` run -> text for the instructor, JSON, gradebook rows, and the class report's marks."""

from __future__ import annotations

from .similar import MIN_OWN, Group, Similarity

NOTICE = ("Evidence for a human, not a verdict: similar code can have innocent causes (a short exercise with one "
          "natural answer, shared course material, working together as allowed). Read the submissions before "
          "acting. This never changes a score.")


def gradebook_rows(result: Similarity) -> list[tuple[str, int, float, dict]]:
    """(student, group, highest similarity to another member, detail) for each student in a group."""
    shares = {p.student: p for p in result.submissions}
    rows = []
    for group in result.groups:
        for student in group.members:
            similar_to = dict(sorted(group.best[student].items(), key=lambda kv: (-kv[1], kv[0])))
            rows.append((student, group.number, max(similar_to.values(), default=0.0), {
                "similar_to": similar_to, "members": list(group.members), "min": group.min_similarity,
                "avg": group.avg_similarity, "lines": group.lines[student], "file": shares[student].file,
                "starter_share": round(shares[student].starter_share, 3), "threshold": result.threshold}))
    return rows


def mark(similar_to: dict[str, float]) -> str:
    """The class report's phrase: 'similar to bob, carol (0.93)', the closest first, with the highest similarity."""
    if not similar_to:
        return ""
    names = sorted(similar_to, key=lambda s: (-similar_to[s], s))
    return f"similar to {', '.join(names)} ({similar_to[names[0]]:.2f})"


def marks(stored: list[dict]) -> dict[tuple[str, str], str]:
    """(student, exercise) -> its mark, from the gradebook's `similar` rows (Gradebook.similar())."""
    return {(row["student"], row["exercise"]): mark(row.get("similar_to", {})) for row in stored}


def to_json(result: Similarity, computed_at: str) -> dict:
    """The run as plain data: groups, and each submission's method, starter share and problem."""
    return {
        "exercise": result.exercise, "threshold": result.threshold, "computed_at": computed_at, "notice": NOTICE,
        "pairs_compared": result.pairs_compared, "common_fingerprints_removed": result.common_removed,
        "groups": [{"group": g.number, "members": list(g.members), "min_similarity": g.min_similarity,
                    "avg_similarity": g.avg_similarity, "similarity": g.best, "lines": g.lines,
                    "excerpt": list(g.excerpt)} for g in result.groups],
        "submissions": [{"student": p.student, "file": p.file, "method": p.method, "problem": p.problem,
                         "starter_share": round(p.starter_share, 3), "own_fingerprints": len(p.own)}
                        for p in result.submissions],
        "missing": list(result.missing),
    }


def render_text(result: Similarity) -> str:
    """The run for a person: each group with its similarity, where the shared code is, and an excerpt."""
    read = [p for p in result.submissions if p.method != "skipped"]
    lines = [f"{result.exercise}: {len(read)} submission(s) read, {result.pairs_compared} pair(s) sharing code "
             f"compared; groups at similarity >= {result.threshold:.2f}", NOTICE, ""]
    if not result.groups:
        lines += ["No similar submissions found.", ""]
    for group in result.groups:
        lines += _group(group, result)
    skipped = [p for p in result.submissions if p.method == "skipped"]
    by_tokens = [p for p in result.submissions if p.method == "tokens"]
    only_starter = [p.student for p in read if p.fingerprints and len(p.own) < MIN_OWN]
    if by_tokens:
        lines.append("Compared by tokens (did not parse):")
        lines += [f"  {p.file}: {p.problem}" for p in by_tokens]
    if skipped:
        lines.append("Not compared:")
        lines += [f"  {p.file}: {p.problem}" for p in skipped]
    if only_starter:
        lines.append(f"Too little code of their own beyond the starter to compare: {', '.join(only_starter)}")
    if result.common_removed:
        lines.append(f"{result.common_removed} fingerprint(s) shared by over half the class were ignored, as the "
                     f"starter's are (the class's common idiom).")
    if result.missing:
        lines.append(f"No file for {result.exercise}: {', '.join(result.missing)}")
    return "\n".join(lines).rstrip("\n") + "\n"


def _group(group: Group, result: Similarity) -> list[str]:
    files = {p.student: p for p in result.submissions}
    width = max(len(m) for m in group.members)
    out = [f"Group {group.number}: {', '.join(group.members)} (similarity min {group.min_similarity:.2f}, "
           f"avg {group.avg_similarity:.2f})"]
    for member in group.members:
        p = files[member]
        closest = mark(group.best[member])
        out.append(f"  {member:<{width}}  {p.file}: {group.lines[member]}; starter code "
                   f"{100 * p.starter_share:.0f}% of it; {closest}")
    if group.excerpt:
        out.append("  shared code, normalized (names canonical, comments and layout dropped):")
        out += [f"    {row}" for row in group.excerpt]
    return out + [""]
