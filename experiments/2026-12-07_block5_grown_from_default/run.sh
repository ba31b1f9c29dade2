#!/usr/bin/env bash
# Issue #28: the shipped default grown by a block 5 tap and trained on at 128x128, with the machine
# to itself. Re-running this script resumes a killed run (from the cache folder, or from its kept
# epoch when that is gone); a finished one (metrics.json) is left alone.
# Usage (from the repository root): bash experiments/2026-12-07_block5_grown_from_default/run.sh
set -euo pipefail
HERE=experiments/2026-12-07_block5_grown_from_default
DATA=${DATA:-../shared/data/stills}
folder=$(ls -d "$HERE"/*_grown_block5_low_lr_all_sets_128 2>/dev/null | head -1 || true)
if [[ -n "$folder" && -f "$folder/metrics.json" ]]; then echo "done: $folder"; exit 0; fi
if [[ -n "$folder" ]]; then exec python -m colornn_keras.cli train color --resume "$folder" --quiet; fi
# The shipped run's data, split, augmentation and optimizer (2026-12-07_converged_all_sets_mixed_bf16_128),
# started from its weights (--init-from color) grown to a fifth tap.
# The first attempt (grown_block5_all_sets_128: peak learning rate 1e-4, 9 epochs) was stopped after
# 3 epochs (README.md says why); this is the run that replaced it, at 2e-5, in the time left.
exec python -m colornn_keras.cli train color --data "$DATA" --include '*' --runs-root "$HERE" \
  --name grown_block5_low_lr_all_sets_128 --image-size 128 --batch-size 16 \
  --init-from color --deepest-tap block5_conv3 --fine-tune-from block4_conv1 \
  --learning-rate 2e-5 --schedule cosine --warmup-epochs 0.3 --optimizer adamw --weight-decay 1e-4 \
  --augmentation resized_crop --steps-per-epoch 250 --epochs 6 --patience 3 --max-minutes 58 \
  --precision auto --quiet
