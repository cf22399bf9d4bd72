#!/usr/bin/env bash
# Every benchmark behind docs/benchmarks.md, one after another (about an hour on the
# project's 2-core machine). Needs the bench extra (PyTorch) and the IMDB data
# (RNNKIT_DATA_DIR); writes Markdown and JSON into benchmarks/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/results
mkdir -p "$out"
python=${PYTHON:-python}
shapes="64x200x128x128 32x80x128x128 128x500x128x256 16x1000x128x512"
"$python" benchmarks/bench_recurrent.py --shapes $shapes --threads 2 --no-dropout --no-gemm \
    --json "$out/recurrent_split_4shapes.json" | tee "$out/recurrent_split_4shapes.md"
"$python" benchmarks/bench_recurrent.py --rounds 3 --no-gemm \
    --json "$out/recurrent_split_3rounds.json" | tee "$out/recurrent_split_3rounds.md"
"$python" benchmarks/threads.py --shapes $shapes | tee "$out/threads.md"
"$python" benchmarks/bench_recurrent.py --shapes 64x200x128x128 --threads 1 --no-dropout \
    --json "$out/recurrent_1thread.json" | tee "$out/recurrent_1thread.md"
"$python" benchmarks/bench_recurrent.py --quick --no-dropout --no-gemm \
    --shapes 64x50x128x128 64x100x128x128 64x200x128x128 64x400x128x128 64x800x128x128 \
             64x200x128x64 64x200x128x256 64x200x128x512 \
    --json "$out/scaling.json" | tee "$out/scaling.md"
"$python" benchmarks/plot_scaling.py "$out/scaling.json" docs/scaling.png
"$python" benchmarks/dropout_overhead.py lstm --profile | tee "$out/dropout_lstm_2threads.md"
"$python" benchmarks/dropout_overhead.py gru --profile | tee "$out/dropout_gru_2threads.md"
for cell in lstm gru; do
    "$python" benchmarks/chunking.py "$cell" | tee "$out/chunking_$cell.md"
done
"$python" benchmarks/memory.py | tee "$out/memory.md"
"$python" benchmarks/imdb_epoch.py --rounds 2 --bucket | tee "$out/imdb_epoch.md"
"$python" benchmarks/padding.py --train | tee "$out/padding.md"
"$python" benchmarks/blas_step.py | tee "$out/blas_step.md"
"$python" benchmarks/profile_step.py --cell lstm | tee "$out/profile_lstm.md"
"$python" benchmarks/profile_step.py --cell lstm --shape 16x1000x128x512 --repeats 5 \
    | tee "$out/profile_lstm_16x1000x512.md"
