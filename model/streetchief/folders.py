"""Result folders written as a whole: outputs go to a hidden folder beside `--out`, renamed into
place when the last file is written, so an interrupted or failed command leaves the old folder as
it was (or none), never a mix of old and new files, and no empty folder.

A folder is replaced only when it holds a result and nothing else (the names in `RESULT_NAMES`): a
folder with other files, a sweep, or one of the command's own input files is refused.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from streetchief.errors import OutputError
from streetchief.files import honour_umask

# what a result folder says of itself
RECORDS = ("sweep.json", "compare.json", "summary.json", "analysis.json", "calibration.json")
RESULT_NAMES = {
    "summary.json",
    "issues.parquet",
    "issues",  # a streamed run's records, one file per arrangement
    "compare.json",
    "comparison.csv",
    "replications.csv",
    "comparison.png",
    "differences.csv",
    "equity.csv",
    "equity.png",
    "ledger.csv",
    "cost_effectiveness.csv",
    "equity_by_replication.csv",
    "ledger_by_replication.csv",
    "rejected_rows.csv",
    "outside_window.csv",
    # a sweep's analysis
    "analysis.json",
    "advantage.csv",
    "indices.csv",
    "indices.png",
    "tornado.csv",
    "tornado.png",
    "heatmap.png",
    "boxplots.png",
    "where_it_vanishes.txt",
    "region.png",
}
STAGING: dict[str, str] = {}  # staging folder → the --out it becomes (to name it in messages)
MADE: set[Path] = set()  # parent folders an open ResultFolder made (and removes on failure)


def _ours(name: str) -> bool:
    return name in RESULT_NAMES or (name.startswith(".") and name.endswith((".tmp", ".partial")))


def check_out(out: Path, inputs=(), option: str = "--out") -> None:
    """Refuse an `out` folder the command may not replace: a file, a sweep, a folder with files
    that are not a result's, or one holding an input of the command."""
    out = Path(out)
    problems = []
    real = out.resolve()
    for f in inputs:
        if f is None:
            continue
        f = Path(f).resolve()
        if f == real or real in f.parents:
            problems.append(f"{option} {out} holds the input {f}; choose another folder")
    here = Path.cwd().resolve()
    if real == here or real in here.parents:
        problems.append(f"{option} {out} is the folder you are in (or holds it); choose another")
    if out.exists() and not out.is_dir():
        problems.append(f"{option} {out} is a file, not a folder")
    elif out.is_dir():
        names = sorted(os.listdir(out))
        if "sweep.json" in names or "runs" in names:
            problems.append(f"{option} {out} holds a sweep; choose another folder")
        else:
            foreign = [n for n in names if not _ours(n)]
            if foreign:
                shown = ", ".join(foreign[:5]) + (
                    f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
                )
                problems.append(
                    f"{option} {out} holds files that are not a streetchief result ({shown}); "
                    "a result folder is replaced whole: choose a new or empty folder"
                )
    if problems:
        raise OutputError(str(out), list(dict.fromkeys(problems)))


def check_out_file(out: Path, inputs=(), option: str = "--out") -> None:
    """Refuse an output file that is one of the command's inputs (it would be overwritten)."""
    out = Path(out)
    for f in inputs:
        if f is None:
            continue
        same = Path(f).resolve() == out.resolve()
        try:
            same = same or (out.exists() and os.path.samefile(out, f))
        except OSError:
            pass
        if same:
            raise OutputError(str(out), [f"{option} {out} is the input {f}; write to another file"])
    if out.is_dir():
        raise OutputError(str(out), [f"{option} {out} is a folder; give a file name"])


class ResultFolder:
    """`with ResultFolder(out, inputs) as tmp:` write everything into `tmp`; on leaving without an
    exception it replaces `out` whole, otherwise it is removed and `out` stays as it was."""

    def __init__(self, out: str | Path, inputs=(), option: str = "--out"):
        out = Path(os.path.abspath(out))
        self.out = out.resolve() if out.is_symlink() else out
        self.inputs, self.option = inputs, option
        self.created: list[Path] = []  # parent folders made here, removed again on failure

    def __enter__(self) -> Path:
        check_out(self.out, self.inputs, self.option)
        parent = self.out.parent
        missing = [p for p in [parent, *parent.parents] if not p.exists()]
        try:
            for p in reversed(missing):
                p.mkdir()
                self.created.append(p)
                MADE.add(p)
            _remove_stale(self.out)
            self.tmp = Path(
                tempfile.mkdtemp(
                    dir=parent, prefix=f".{self.out.name}.{os.getpid()}.", suffix=".partial"
                )
            )
        except OSError as e:
            self._remove_created()
            raise OutputError(
                str(self.out),
                [f"{self.option} {self.out}: cannot create the output folder ({e.strerror or e})"],
            ) from None
        STAGING[str(self.tmp)] = str(self.out)
        return self.tmp

    def __exit__(self, kind, exc, tb):
        try:
            if kind is None:
                try:
                    self._commit()
                except BaseException:
                    shutil.rmtree(self.tmp, ignore_errors=True)
                    self._remove_created()
                    raise
                return False
            shutil.rmtree(self.tmp, ignore_errors=True)
            self._remove_created()
            return False
        finally:
            STAGING.pop(str(self.tmp), None)
            MADE.difference_update(self.created)

    def _commit(self) -> None:
        for d in [self.tmp, *(p for p in self.tmp.rglob("*") if p.is_dir())]:
            honour_umask(d, directory=True)
        if not self.out.exists():
            os.rename(self.tmp, self.out)
            return
        check_out(self.out, self.inputs, self.option)  # nothing foreign arrived meanwhile
        aside = Path(
            tempfile.mkdtemp(dir=self.out.parent, prefix=f".{self.out.name}.", suffix=".old")
        )
        os.rename(self.out, aside / "old")
        os.rename(self.tmp, self.out)
        shutil.rmtree(aside, ignore_errors=True)

    def _remove_created(self) -> None:
        MADE.difference_update(self.created)
        for p in reversed(self.created):
            try:
                p.rmdir()
            except OSError:
                pass


def _remove_stale(out: Path) -> None:
    """Staging folders of `out` left by a process that was killed (its pid no longer runs)."""
    for p in out.parent.glob(f".{out.name}.*.partial"):
        try:
            pid = int(p.name[len(out.name) + 2 :].split(".")[0])
        except ValueError:
            continue
        if pid != os.getpid() and not _alive(pid):
            shutil.rmtree(p, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def staged_name(path: str | None) -> str | None:
    """A path inside a staging folder, named as it will be once in place (for messages)."""
    if not path:
        return path
    for tmp, out in STAGING.items():
        if str(path).startswith(tmp):
            return out + str(path)[len(tmp) :]
    return path


def file_digests(folder: Path, exclude=RECORDS) -> dict[str, str]:
    """sha256 of every file in a result folder (by its path inside it), the records excluded: what
    a record holds as `files`, for `streetchief verify`."""
    from streetchief.provenance import file_hash

    folder = Path(folder)
    return {
        p.relative_to(folder).as_posix(): file_hash(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in exclude and not p.name.startswith(".")
    }
