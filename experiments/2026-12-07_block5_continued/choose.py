"""Applies this folder's shipping rule (README.md, written before the results) and prints the choice.

Run from the repository root:
    python experiments/2026-12-07_block5_continued/choose.py CHALLENGER DEFAULT
CHALLENGER and DEFAULT are run folders (scored on their own validation photos) or JSON files written by
`colornn evaluate color --split-from` / `--weights-file` on the same validation photos.
"""

import importlib.util
import json
import pathlib
import sys

MIN_RELATIVE_COLORFULNESS = 0.7
# The challenger is the larger model: it must beat the default by more than neighbouring epochs differ.
MIN_AUC_GAIN = 0.002

_spec = importlib.util.spec_from_file_location(
    "choice_2026_11_30", pathlib.Path(__file__).parents[1] / "2026-11-30_color_model_choice" / "choose.py")
_choice = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_choice)


def main(challenger, default):
    rows = [_choice.scores(candidate)[0] for candidate in (challenger, default)]
    if len({row["val_images"] for row in rows}) != 1:
        raise SystemExit("The candidates were not scored on the same validation photos.")
    vivid = [row["val_colorfulness"] >= MIN_RELATIVE_COLORFULNESS * row["val_truth_colorfulness"] for row in rows]
    new, old = rows
    if any(vivid) and not all(vivid):
        chosen = new if vivid[0] else old
    else:
        chosen = new if new["val_auc"] > old["val_auc"] + MIN_AUC_GAIN else old
    for row in rows:
        print(json.dumps(row))
    print(f"vivid enough (>= {MIN_RELATIVE_COLORFULNESS} x truth): {[row['candidate'] for row, ok in zip(rows, vivid) if ok] or 'none'}")
    print(f"validation AuC gain of the challenger: {new['val_auc'] - old['val_auc']:+.4f} (needs > {MIN_AUC_GAIN})")
    print(f"chosen: {chosen['candidate']}")


if __name__ == "__main__":
    main(*sys.argv[1:])
