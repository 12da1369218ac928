"""Does data-parallel training on Ray pay off? Words/s of one process vs `--workers N`, dev scores after the same
global steps, and where a step's time goes (computing vs exchanging gradients), projected to larger clusters.

    python benchmarks/ray_scaling.py [--steps 150] [--workers 2] [--batch-words 1000] [--data ../shared/data/ud-english-ewt]

Both runs use one BLAS thread per process, the default tagger + parser config on EWT train (documents of 10
sentences) and the same seed and batches; speed counts training steps only (evaluation excluded). The
projection uses the measured per-step figures:

    T(N) = max(D, C / N + A + N * S + (N - 1) * G / B),    speed-up(N) = T(1) / T(N),   T(1) = C + A

C: one process's compute per global batch (forward + backward), A: the optimizer step (every replica takes it),
S: adding one worker's gradients into the sum, G: the bytes of one worker's gradients, which each of the other
workers reads from the object store (B: its measured rate on one machine, or 10 Gb/s between machines; every
worker reads from every other, so no single link carries them all), D: the driver's splitting, encoding and
submitting, overlapped with the workers (at most two steps in flight).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nbnlp.core.commands.init_config import init_config  # noqa: E402
from nbnlp.core.training import iter_training  # noqa: E402

NETWORK_BYTES_PER_SECOND = 10e9 / 8


def config_text(data: Path) -> str:
    config = init_config(lang="en", pipeline=["tagger", "parser"])
    return config.replace("train = null", f'train = "{data / "train.conllu"}"').replace("dev = null", f'dev = "{data / "dev.conllu"}"')


def run(data: Path, steps: int, workers: int, address: str | None, batch_words: int) -> dict[str, Any]:
    """Train `steps` global steps of `batch_words` words (evaluating only at the end); time the training steps alone."""
    overrides = {"training.max_steps": steps, "training.eval_frequency": steps, "training.patience": 0, "corpora.dev.limit": 200,
                 "training.batcher.size.start": batch_words, "training.batcher.size.stop": batch_words}
    with tempfile.TemporaryDirectory() as tmp:
        training = iter_training(config_text(data), Path(tmp) / "out", overrides=overrides, workers=workers, address=address)
        step_seconds: list[float] = []
        words = 0
        last = time.perf_counter()
        final = None
        for info in training:
            now = time.perf_counter()
            if not info.is_evaluation:
                step_seconds.append(now - last)
                words = info.words
            final = info
            last = time.perf_counter()
        stats = training.updater.stats if training.updater is not None else None
        assert final is not None and final.scores is not None
        skip = min(5, len(step_seconds) // 10)  # the first steps warm caches (and Ray's object store)
        timed = step_seconds[skip:]
        words_timed = words * len(timed) / max(1, len(step_seconds))
        figures = {
            "workers": workers,
            "steps": final.step,
            "words_per_second": words_timed / sum(timed),
            "seconds_per_step": statistics.mean(timed),
            "scores": {k: final.scores[k] for k in ("tag_acc", "dep_uas", "dep_las") if k in final.scores},
        }
        if stats is not None:
            n = max(1, stats.steps)
            figures.update(
                gradient_bytes_per_worker=stats.gradient_bytes / n,
                driver_per_step=stats.driver_seconds / n,
                worker_compute=stats.compute_seconds / n,
                worker_sum=stats.sum_seconds / n,
                worker_apply=stats.apply_seconds / n,
                sync_seconds=stats.sync_seconds / max(1, stats.syncs),
            )
    return figures


def object_store_copy_rate(nbytes: int) -> float:
    """Bytes/s of one put + get of a gradient-sized array through the local object store (measured)."""
    import numpy
    import ray

    array = numpy.ones(nbytes // 4, dtype="float32")

    @ray.remote
    def touch(a: Any) -> float:
        return float(a[0])

    ray.get(touch.remote(array))
    start = time.perf_counter()
    for _ in range(5):
        ray.get(touch.remote(ray.put(array)))
    return 5 * 2 * nbytes / (time.perf_counter() - start)  # a put and a read by the worker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-words", type=int, default=1000,
                        help="words per global batch (default 1000: where the default config's compounding batch size settles)")
    parser.add_argument("--address", default=None, help="Ray cluster (default: a local Ray with --workers CPUs)")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "ud-english-ewt")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; one BLAS thread per process")
    print(f"{args.steps} global steps of {args.batch_words} words (the default config's batch size after its warm-up)")
    one = run(args.data, args.steps, 1, None, args.batch_words)
    many = run(args.data, args.steps, args.workers, args.address, args.batch_words)
    speedup = many["words_per_second"] / one["words_per_second"]
    print(f"\n{'':24}{'1 process':>14}{f'{args.workers} workers':>14}")
    print(f"{'words/s (training)':24}{one['words_per_second']:14,.0f}{many['words_per_second']:14,.0f}   speed-up {speedup:.2f}x")
    print(f"{'seconds per step':24}{one['seconds_per_step']:14.3f}{many['seconds_per_step']:14.3f}")
    for key in one["scores"]:
        print(f"{key + ' after ' + str(args.steps):24}{100 * one['scores'][key]:14.2f}{100 * many['scores'][key]:14.2f}   "
              f"difference {100 * (many['scores'][key] - one['scores'][key]):+.2f}")
    g = many["gradient_bytes_per_worker"]
    n = args.workers
    print(f"\nper step with {n} workers: each worker's gradients {g / 1e6:.1f} MB, read by the {n - 1} other(s) from the object "
          f"store; in a worker: compute {many['worker_compute']:.3f} s, summing {many['worker_sum']:.3f} s, "
          f"optimizer step {many['worker_apply']:.3f} s; the driver spends {many['driver_per_step']:.3f} s splitting, "
          f"encoding and submitting (overlapped with the workers), {many['sync_seconds']:.3f} s per sync before evaluating/saving")

    import ray

    rate = object_store_copy_rate(int(g))
    apply_time = many["worker_apply"]  # A
    compute = one["seconds_per_step"] - apply_time  # C: one process's step minus its optimizer step
    add = many["worker_sum"] / n  # S: one gradient added into the sum
    driver = many["driver_per_step"]  # D
    print(f"measured: T(1) = {one['seconds_per_step']:.3f} s, C = {compute:.3f} s, A = {apply_time:.3f} s, S = {add:.4f} s, "
          f"D = {driver:.3f} s, G = {g / 1e6:.1f} MB, object store {rate / 1e9:.2f} GB/s")
    print("T(N) = max(D, C / N + A + N * S + (N - 1) * G / B), B = the object store's rate on one machine or 10 Gb/s between machines")
    print(f"\n{'workers':>8}{'one machine':>14}{'10 Gb/s network':>18}   (projected speed-up over one process, same global batch)")
    for workers in (2, 4, 8, 16, 64):
        base = compute / workers + apply_time + workers * add
        local = one["seconds_per_step"] / max(driver, base + (workers - 1) * g / rate)
        network = one["seconds_per_step"] / max(driver, base + (workers - 1) * g / NETWORK_BYTES_PER_SECOND)
        print(f"{workers:>8}{local:>13.2f}x{network:>17.2f}x")
    ray.shutdown()


if __name__ == "__main__":
    main()
