"""Progress bars for long work (runs, replications, sweeps), or a callback, or nothing."""

from __future__ import annotations

from collections.abc import Callable


class _NoBar:
    def __call__(self, done, total):
        pass

    def close(self):
        pass


class _CallbackBar(_NoBar):
    def __init__(self, fn: Callable):
        self.fn = fn

    def __call__(self, done, total):
        self.fn(done, total)


class _Bar:
    """A tqdm bar set to (done, total) at each call; tqdm.auto draws a widget in notebooks."""

    def __init__(self, total, initial, unit, desc, counts_fractions, leave):
        from tqdm.auto import tqdm

        fmt = "{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} {unit} [{elapsed}<{remaining}]"
        self.t = tqdm(
            total=total,
            initial=initial,
            unit=unit,
            desc=desc,
            dynamic_ncols=True,
            leave=leave,
            **({"bar_format": fmt} if counts_fractions else {}),
        )

    def __call__(self, done, total):
        self.t.total = total
        self.t.n = done
        self.t.refresh()

    def close(self):
        self.t.close()


def progress_bar(
    progress: bool | Callable | None,
    total: float,
    initial: float = 0,
    unit: str = "run",
    desc: str = "sweep",
    counts_fractions: bool = False,
    leave: bool = True,
):
    """A callable(done, total) with close(): a tqdm bar if `progress` is True, `progress` itself if
    it is a callable, nothing if it is False or None."""
    if progress is False or progress is None:
        return _NoBar()
    if callable(progress) and progress is not True:
        return _CallbackBar(progress)
    return _Bar(total, initial, unit, desc, counts_fractions, leave)
