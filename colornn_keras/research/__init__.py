"""The tooling that makes runs and reports on them; the library (the rest of `colornn_keras`)
never imports it, and the command line imports it only inside the commands that need it.

- `training/`: the training procedures (`colornn train`), their callbacks, resuming, spreading
  a run over devices (`distribution.py`) and class rebalancing (`rebalancing.py`).
- `evaluation.py`: scoring a model on photos or clips, with the measures of `metrics.py`
  (`colornn evaluate`).
- `experiments.py`: run folders, their JSON records and history; `provenance.py`: what ran;
  `plots.py`: plots of runs; `tables.py`: Markdown tables of runs (`colornn table`).
- `reproduction.py`: the paper's protocol end to end (`colornn reproduce`); `reproduction_report.py`:
  its report; `paper_claims.py`: the paper's numbers and claims the report grades ours against.
- `manifest.py`: regenerating the shipped `weights.json` from the runs (`colornn presets --refresh`).
- `samples.py`: the lab notebooks' data folders, and a small real sample when none is at hand.
"""
