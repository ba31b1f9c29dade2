#!/usr/bin/env bash
# Issue #29, item 5: a sound truly recurrent model. The ConvLSTM memory's output is a correction
# added to the shipped default color model's own logits (zero at the start), at half resolution, in
# float32 with clipped gradients, trained on the color model's features computed once (in bfloat16
# where the CPU computes it natively). Re-running this script after a finished run does nothing.
# Usage (from the repository root): bash experiments/2026-12-07_recurrent_residual_block5_128/run.sh
set -euo pipefail
HERE=experiments/2026-12-07_recurrent_residual_block5_128
VIDEOS=${VIDEOS:-../shared/data/videos}
if ls "$HERE"/*_recurrent_residual_block5_128/metrics.json >/dev/null 2>&1; then echo "done"; exit 0; fi
exec python -m colornn_keras.cli train consistency --videos "$VIDEOS" \
  --color-run experiments/2026-12-07_block5_grown_from_default/2026-12-07_grown_block5_low_lr_all_sets_128 \
  --color-weights colornn_keras/weights/color_model_all_sets_block5.trained.h5 \
  --model recurrent --window 16 --batch-size 1 --hidden-filters 32 --split 7 2 3 --max-frames 300 \
  --epochs 10 --name recurrent_residual_block5_128 --runs-root "$HERE" --max-minutes 40 --quiet
