#!/bin/sh
# Start, or resume after its last finished epoch (the same line does both), the training
# run of the issue-12 convnet: detached, nice'd, one BLAS thread, checkpoints outside the
# repository. Run from anywhere; it trains with this checkout's cnn_core.
# The run began with --epochs 30 --first-decay 1.9e-3 (10 e-folds of conv1 decay over 30
# epochs). After epoch 9 it was resumed with --epochs 20 (the cosine schedule shortened to
# fit the session), and after epoch 10 with --first-decay 5.85e-3, which brings conv1's
# decay back to 10 e-folds over the shortened run (5.10 in epochs 1-9, 0.42 in epoch 10,
# 4.48 in epochs 11-20): the line below is the last resume.
#   scripts/train_convnet.sh            # start or resume
#   tail -f /work/runs/convnet-deep/train.log
set -eu
cd "$(dirname "$0")/.."
RUN=${RUN:-/work/runs/convnet-deep}
DATA=${DATA:-/work/shared/data/cifar10/train}
mkdir -p "$RUN"
if [ -f "$RUN/train.pid" ] && kill -0 "$(cat "$RUN/train.pid")" 2>/dev/null; then
    echo "already running: pid $(cat "$RUN/train.pid") (log $RUN/train.log)" >&2
    exit 1
fi
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 setsid nohup nice -n 5 \
    python -m cnn_core.train --arch convnet --name convnet \
    --title "ConvNet (7 conv layers)" --data "$DATA" \
    --epochs 20 --batch-size 128 --lr 0.1 --warmup-epochs 2 \
    --weight-decay 5e-4 --first-decay 5.85e-3 --first-init-scale 0.1 \
    --label-smoothing 0.1 --ema 0.999 \
    --checkpoint-dir "$RUN" --out "$RUN/out" --float16 --resume \
    >> "$RUN/train.log" 2>&1 < /dev/null &
echo $! > "$RUN/train.pid"
echo "training pid $! from $(pwd); log $RUN/train.log; checkpoints $RUN/convnet/"
