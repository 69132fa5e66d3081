"""Notice when files are saved, however the editor saves them, and read each save only once it is whole.

Editors save in three ways: in place (truncate, then write), by writing a temporary file and renaming it over the
old one (vim, VS Code, Jupyter), or by deleting and recreating the file. The folders that hold the watched files
are watched (a rename replaces the file's inode, so watching the file itself would lose it), through the operating
system's notifications (inotify on Linux, via watchfiles); a burst of events is one save once it has been quiet
for `quiet_ms`.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

QUIET_MS = 15  # a save is done when no event has come for this long: editors write a file within a few ms
SETTLE_TRIES = 20
SETTLE_PAUSE_S = 0.01


@dataclass(frozen=True)
class Snapshot:
    """A file's bytes read whole (None: it does not exist), and the key that says whether its code changed."""

    path: Path
    data: bytes | None
    key: str


def read_whole(path: Path) -> Snapshot:
    """The file's bytes, read again until no write changed it while it was read (a save caught half-written)."""
    data: bytes | None = None
    for _ in range(SETTLE_TRIES):
        try:
            before = os.stat(path)
            data = path.read_bytes()
            after = os.stat(path)
        except FileNotFoundError:
            data = None
            break
        except OSError:
            data = None
            time.sleep(SETTLE_PAUSE_S)
            continue
        if _same(before, after) and len(data) == after.st_size:
            break
        time.sleep(SETTLE_PAUSE_S)
    return Snapshot(path, data, content_key(path, data))


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_ino, a.st_size, a.st_mtime_ns) == (b.st_ino, b.st_size, b.st_mtime_ns)


def content_key(path: Path, data: bytes | None) -> str:
    """What grading reads of the file, hashed: a notebook's code cells and their tags, any other file's bytes.

    A notebook saved by autosave, or after running a cell, changes its outputs and execution counts only: the
    same key, so it is not graded again.
    """
    if data is None:
        return "absent"
    if path.suffix.lower() == ".ipynb":
        from .notebook import NotebookProblem, read_notebook

        try:
            cells = read_notebook(data, str(path))
        except NotebookProblem:
            pass  # unreadable (perhaps half-written): its bytes decide
        except Exception:  # noqa: BLE001 - a file a student wrote: whatever it holds, the bytes decide
            pass
        else:
            digest = hashlib.sha256()
            for cell in cells:
                digest.update(repr((cell.number, cell.source, tuple(cell.tags), cell.skipped)).encode())
            return "cells:" + digest.hexdigest()
    return "bytes:" + hashlib.sha256(data).hexdigest()


def files_key(paths: tuple[Path, ...]) -> str:
    """One hash over several small files' bytes (a missing one counts as missing): the course files a grade uses."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path).encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"\0absent\0")
    return digest.hexdigest()


class Watcher:
    """The saves of a fixed set of files, one batch of changed paths per save (the folders that hold them watched)."""

    def __init__(self, files: tuple[Path, ...], *, quiet_ms: int = QUIET_MS) -> None:
        self.files = tuple(dict.fromkeys(Path(os.path.abspath(p)) for p in files))
        self._quiet_ms = quiet_ms
        self._names: dict[str, set[str]] = {}
        for path in self.files:
            for folder in {str(path.parent), os.path.realpath(path.parent)}:
                self._names.setdefault(folder, set()).add(path.name)

    def _wanted(self, _change: object, path: str) -> bool:
        folder, name = os.path.split(path)
        return name in self._names.get(folder, ()) or name in self._names.get(os.path.realpath(folder), ())

    def saves(self) -> Iterator[set[Path]]:
        """Yield an empty batch once watching has begun (grade what is there now), then each save's changed files.

        Forever, until Ctrl-C. The watching runs in a thread, so that a save made while the first batch is being
        handled (a first grade takes seconds) is not missed.
        """
        batches: queue.Queue[set[Path] | BaseException] = queue.Queue()
        stop = _Stop()
        thread = threading.Thread(target=self._watch, args=(batches, stop), name="watch-saves", daemon=True)
        thread.start()
        try:
            while not stop.live.wait(0.1):  # a timed wait: Ctrl-C must get through
                if not thread.is_alive():
                    break
            yield set()
            while True:
                try:
                    batch = batches.get(timeout=0.25)
                except queue.Empty:
                    continue
                if isinstance(batch, BaseException):
                    raise batch
                yield batch
        finally:
            stop.set()
            thread.join(timeout=2)

    def _watch(self, batches: "queue.Queue[set[Path] | BaseException]", stop: "_Stop") -> None:
        import watchfiles

        folders = sorted({str(p.parent) for p in self.files})
        by_name = {(os.path.realpath(p.parent), p.name): p for p in self.files}
        try:
            for changes in watchfiles.watch(*folders, watch_filter=self._wanted, debounce=400, step=self._quiet_ms,
                                            recursive=False, stop_event=stop, rust_timeout=1000,
                                            raise_interrupt=False):
                changed = {by_name.get((os.path.realpath(os.path.dirname(path)), os.path.basename(path)))
                           for _, path in changes}
                changed.discard(None)
                if changed:
                    batches.put(changed)  # type: ignore[arg-type]
        except Exception as problem:  # noqa: BLE001 - handed to the thread that reads the batches
            batches.put(problem)
        finally:
            stop.live.set()


class _Stop(threading.Event):
    """watchfiles' stop event, which also tells when watching has begun: watchfiles asks it once per step."""

    def __init__(self) -> None:
        super().__init__()
        self.live = threading.Event()

    def is_set(self) -> bool:
        self.live.set()
        return super().is_set()
