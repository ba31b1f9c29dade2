#!/usr/bin/env bash
# Issue #28, item 5: the shipped block-5 default trained on for longer, since its validation loss
# was still falling when its 6-epoch schedule ended. Started from that run's own float32 weights
# (not the int8-difference shipped file), same data, split, augmentation and optimizer, with the
# machine to itself. Re-running this script resumes a killed run (from the cache folder, or from its
# kept epoch when that is gone); a finished one (metrics.json) is left alone.
# Usage (from the repository root): bash experiments/2026-12-07_block5_continued/run.sh
set -euo pipefail
HERE=experiments/2026-12-07_block5_continued
DATA=${DATA:-../shared/data/stills}
FROM=experiments/2026-12-07_block5_grown_from_default/2026-12-07_grown_block5_low_lr_all_sets_128
folder=$(ls -d "$HERE"/*_block5_continued_all_sets_128 2>/dev/null | head -1 || true)
if [[ -n "$folder" && -f "$folder/metrics.json" ]]; then echo "done: $folder"; exit 0; fi
if [[ -n "$folder" ]]; then exec python -m colornn_keras.cli train color --resume "$folder" --quiet; fi
exec python -m colornn_keras.cli train color --data "$DATA" --include '*' --runs-root "$HERE" \
  --name block5_continued_all_sets_128 --image-size 128 --batch-size 16 \
  --init-from "$FROM" --deepest-tap block5_conv3 --fine-tune-from block4_conv1 \
  --learning-rate 2e-5 --schedule cosine --warmup-epochs 0.3 --optimizer adamw --weight-decay 1e-4 \
  --augmentation resized_crop --steps-per-epoch 250 --epochs 7 --patience 3 --max-minutes 62 \
  --precision auto --quiet
