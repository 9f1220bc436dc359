"""The course's progress bar: tqdm, as text, and only where someone is watching.

`tqdm.auto` draws a widget in Jupyter when ipywidgets is installed, and otherwise warns ("IProgress not found",
with a path from the user's machine) before falling back to text. Text bars read the same in a terminal, in a
notebook and in a notebook rendered on GitHub, so the course always uses them.

A bar is drawn in a terminal and in a notebook; when output goes to a file or a pipe (a log, CI) it stays quiet,
since a log full of carriage returns helps nobody. MINISENT_PROGRESS=1 forces bars on, =0 forces them off.
"""
import os
import sys

from tqdm.std import tqdm as _tqdm

__all__ = ["tqdm", "interactive"]


def interactive() -> bool:
    """True when a person is watching: stderr is a terminal, or this runs inside a Jupyter kernel."""
    forced = os.environ.get("MINISENT_PROGRESS")
    if forced in ("0", "1"):
        return forced == "1"
    return "ipykernel" in sys.modules or bool(getattr(sys.stderr, "isatty", lambda: False)())


class tqdm(_tqdm):  # noqa: N801  (keeps tqdm's name, so call sites read as plain tqdm)
    """tqdm that is silent when nobody is watching (see `interactive`)."""

    def __init__(self, *args, **kwargs):
        if not interactive():
            kwargs["disable"] = True
        super().__init__(*args, **kwargs)
