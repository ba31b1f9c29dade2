"""Applies this folder's shipping rule (README.md, written before the results) and prints the choice:
the same rule as `../2026-12-07_block5_grown_from_default/choose.py`, which it runs.

Run from the repository root:
    python experiments/2026-12-07_block5_continued/choose.py CHALLENGER DEFAULT
CHALLENGER and DEFAULT are run folders (scored on their own validation photos) or JSON files written by
`colornn evaluate color --split-from` / `--weights-file` on the same validation photos.
"""

import importlib.util
import pathlib
import sys

_spec = importlib.util.spec_from_file_location(
    "choice_2026_12_07_block5", pathlib.Path(__file__).parents[1] / "2026-12-07_block5_grown_from_default" / "choose.py")
_choice = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_choice)

if __name__ == "__main__":
    _choice.main(*sys.argv[1:])
