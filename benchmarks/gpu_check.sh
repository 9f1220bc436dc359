#!/usr/bin/env bash
# One prepared command for a lent GPU machine (about 10 minutes): the test suite on cuda, the benchmarks with
# --device cuda, one short run of each scaling option (AMP bf16/fp16, torch.compile, gradient caching, 1-GPU DDP
# under torchrun) with its throughput, and the FULL SimCSE training. Run from the repository root:
#   bash benchmarks/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA GPU visible to torch'; print(torch.cuda.get_device_name(0))"
export MINISENT_DEVICE=cuda
start=$(date +%s)
# unit tests only (the lessons run on the CPU in CI); device-parametrized tests now include cuda
timeout 240 pytest tests -q -x -p no:nbval -o addopts="" 2>&1 | tail -15
echo "tests: $(( $(date +%s) - start )) s"
timeout 150 python benchmarks/run.py --device cuda --quick --only bench_attention,bench_losses,bench_encoder \
    --out benchmarks/RESULTS_cuda.md
echo "benchmarks: $(( $(date +%s) - start )) s"
# scaling (lesson 10): sentences/s and peak GPU memory of the GPU recipe's model, 12 steps per setting
timeout 240 python -m benchmarks.bench_scaling --gpu
echo "scaling: $(( $(date +%s) - start )) s"
MINISENT_FULL=1 timeout 120 python -m minisent train simcse --out /tmp/minisent-simcse-full --device cuda --minutes 1.5
python -m minisent eval --model /tmp/minisent-simcse-full --sts mini
echo "total: $(( $(date +%s) - start )) s"
