"""The course's progress bar: tqdm, as text.

`tqdm.auto` draws a widget in Jupyter when ipywidgets is installed, and otherwise warns ("IProgress not found",
with a path from the user's machine) before falling back to text. Text bars read the same in a terminal, in a
notebook and in a notebook rendered on GitHub, so the course always uses them.
"""
from tqdm.std import tqdm

__all__ = ["tqdm"]
