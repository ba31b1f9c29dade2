"""Run folders as the library reads them: a finished training run's settings and models.

- `configs.py`: the settings of each kind of run, as its config.json records them.
- `records.py`: the names of a run folder's records, and reading them back checked.
- `loading.py`: a finished run's models, rebuilt from its settings and trained part: what
  `colornn colorize --color-run` (and `--consistency-run`, `--flow-guided-run`) colours with.

Making runs and reporting on them is `colornn_keras.research`, which the library never imports.
"""
