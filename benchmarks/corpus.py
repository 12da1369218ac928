"""Corpus I/O speed: read CoNLL-U, convert to .nbnlp, read .nbnlp back; file sizes. With --memory: peak memory of
training input for N copies of a corpus.

Usage: python benchmarks/corpus.py [--data ../shared/data] [--output results.json]
Prints words/sec for each step (best of --repeat runs) and the .nbnlp size against the .conllu.

       python benchmarks/corpus.py --memory [--copies 1 8] [--epochs 2] [--train-steps 50] [--n-sents 1]
                                   [--shuffle-buffer N] [--cache-words N] [--output results.json]
For each number of copies, the train file repeated that many times (into a temporary folder) is, in a fresh
process each (peak RSS is per process): (1) read through `nbnlp.Corpus.v1`, shuffled as the training loop does
and batched by the default batcher for --epochs epochs (no training), then (2) with --train-steps, trained on
for that many steps (tagger + parser, `init-config`'s config with n_sents = --n-sents, dev limited to 200 docs).
Printed: peak RSS (ru_maxrss) and its growth over the RSS after imports, seconds and words/s per epoch. It
measures whichever nbnlp is imported, so the same script measures an older checkout:
`PYTHONPATH=/path/to/old/checkout python benchmarks/corpus.py --memory` (there, without `training/shuffle.py`,
an epoch is `list(corpus)` + `rng.shuffle`, as the loop did). --shuffle-buffer / --cache-words set
`[training] shuffle_buffer` / `[corpora.train] cache_words` where the imported nbnlp has them.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbnlp
from nbnlp.core.corpus.convert import convert
from nbnlp.core.lang import create_vocab

REPO = Path(__file__).resolve().parents[1]


def best_time(fn, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--file", default="ud-english-ewt/train.conllu")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", default=None)
    parser.add_argument("--memory", action="store_true", help="measure peak memory of training input instead of speed")
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 8], help="--memory: corpus sizes, as copies of --file")
    parser.add_argument("--epochs", type=int, default=2, help="--memory: epochs read, shuffled and batched")
    parser.add_argument("--train-steps", type=int, default=0, help="--memory: also train this many steps (0: no training run)")
    parser.add_argument("--n-sents", type=int, default=1, help="--memory: sentences per training document")
    parser.add_argument("--shuffle-buffer", type=int, default=None, help="--memory: [training] shuffle_buffer (default: nbnlp's)")
    parser.add_argument("--cache-words", type=int, default=None, help="--memory: [corpora.train] cache_words (default: nbnlp's)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_memory_child(json.loads(args.child))))
        return
    if args.memory:
        memory_main(args)
        return
    source = Path(args.data) / args.file

    def read_conllu():
        return sum(len(d) for d in nbnlp.load_docs(source, vocab=create_vocab("en")))

    t_read, n_words = best_time(read_conllu, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        t_convert, results = best_time(lambda: convert(source, tmp, n_sents=10), args.repeat)
        out = results[0].output

        def read_binary():
            return sum(len(d) for d in nbnlp.load_docs(out, vocab=create_vocab("en")))

        t_read_bin, n_words_bin = best_time(read_binary, args.repeat)
        size_bin = out.stat().st_size
    assert n_words_bin == n_words, (n_words_bin, n_words)
    size_src = source.stat().st_size
    figures = {
        "file": str(args.file),
        "words": n_words,
        "read_conllu_words_per_sec": round(n_words / t_read),
        "convert_to_nbnlp_words_per_sec": round(n_words / t_convert),
        "read_nbnlp_words_per_sec": round(n_words / t_read_bin),
        "conllu_bytes": size_src,
        "nbnlp_bytes": size_bin,
        "nbnlp_size_ratio": round(size_bin / size_src, 4),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    print(f"{args.file}: {n_words:,} words")
    print(f"  read CoNLL-U        {figures['read_conllu_words_per_sec']:>12,} words/s")
    print(f"  convert -> .nbnlp   {figures['convert_to_nbnlp_words_per_sec']:>12,} words/s")
    print(f"  read .nbnlp         {figures['read_nbnlp_words_per_sec']:>12,} words/s")
    print(f"  size: .conllu {size_src:,} B, .nbnlp {size_bin:,} B ({100 * figures['nbnlp_size_ratio']:.1f}%)")
    print(json.dumps(figures))
    if args.output:
        Path(args.output).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf8")


# ----- --memory -------------------------------------------------------------------------------
def memory_main(args: argparse.Namespace) -> None:
    data = Path(args.data)
    source = data / args.file
    dev = source.with_name("dev.conllu")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for copies in args.copies:
            path = Path(tmp) / f"train-x{copies}.conllu"
            text = source.read_text(encoding="utf8").rstrip("\n") + "\n\n"
            with path.open("w", encoding="utf8") as f:
                for _ in range(copies):
                    f.write(text)
            del text
            job = {"path": str(path), "dev": str(dev), "epochs": args.epochs, "n_sents": args.n_sents,
                   "shuffle_buffer": args.shuffle_buffer, "cache_words": args.cache_words, "out": str(Path(tmp) / "out")}
            row = {"copies": copies, **_run_child({**job, "mode": "epochs"})}
            if args.train_steps:
                row["train"] = _run_child({**job, "mode": "train", "steps": args.train_steps})
            rows.append(row)
            path.unlink()
    import nbnlp

    figures = {
        "nbnlp": str(Path(nbnlp.__file__).resolve().parent), "commit": _commit(Path(nbnlp.__file__).resolve().parent),
        "file": args.file, "n_sents": args.n_sents, "shuffle_buffer": args.shuffle_buffer, "cache_words": args.cache_words,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "command": " ".join([Path(sys.executable).name, *sys.argv]), "rows": rows,
    }
    print(f"nbnlp {figures['nbnlp']} ({figures['commit']}); {figures['machine']}")
    print(f"$ {figures['command']}")
    print(f"{'corpus':>8} {'words':>10} {'docs':>8} {'shuffle':>8} {'cached':>6} {'peak RSS':>9} {'growth':>8}   epoch seconds (words/s)")
    for row in rows:
        epochs = "  ".join(f"{t:.1f}s ({row['words'] / max(t, 1e-3) / 1000:,.0f}k)" for t in row["epoch_seconds"])
        print(f"{row['copies']:>7}x {row['words']:>10,} {row['docs']:>8,} {row['shuffle']:>8} {str(row['cached']):>6} "
              f"{row['peak_rss_mib']:>7.0f}Mi {row['growth_mib']:>6.0f}Mi   {epochs}")
        if "train" in row:
            t = row["train"]
            print(f"{'':>9} train {t['steps']} steps: peak RSS {t['peak_rss_mib']:.0f} MiB (growth {t['growth_mib']:.0f} MiB), "
                  f"{t['seconds']:.0f}s in all, first update after {t['first_step_seconds']:.0f}s")
    print(json.dumps(figures))
    if args.output:
        Path(args.output).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf8")


def _run_child(job: dict) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps(job)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the measuring process failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _commit(folder: Path) -> str:
    try:
        head = subprocess.run(["git", "-C", str(folder), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no", "--", "."],
                               capture_output=True, text=True, timeout=10)
        return head.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _memory_child(job: dict) -> dict:
    """One measurement in this (fresh) process: read + shuffle + batch epochs, or a short training run."""
    from nbnlp.core.settings import TrainingSchema

    has_shuffle_buffer = "shuffle_buffer" in TrainingSchema.model_fields
    if job["mode"] == "train":
        return _train_child(job, has_shuffle_buffer)
    from nbnlp.core.language import Language
    from nbnlp.core.registry import registry
    from nbnlp.core.training.corpus import create_corpus

    nlp = Language("en")
    batcher = registry.resolve({"b": TrainingSchema.default("batcher")})["b"]
    corpus_options = {"n_sents": job["n_sents"]}
    if job["cache_words"] is not None:
        corpus_options["cache_words"] = job["cache_words"]
    corpus = create_corpus(job["path"], **corpus_options)
    base = _rss_mib()
    rng = random.Random(0)
    buffer = job["shuffle_buffer"] or (TrainingSchema.default("shuffle_buffer") if has_shuffle_buffer else None)
    def epoch() -> tuple[int, int]:
        """One epoch as the loop walks it, less the updates: (docs, words)."""
        if buffer is None:  # the loop before streaming: the whole epoch as a list
            examples = list(corpus(nlp))
            rng.shuffle(examples)
        else:
            from nbnlp.core.training.shuffle import shuffled

            examples = shuffled(corpus(nlp), rng, buffer)
        n_docs = n_words = 0
        for batch in batcher(examples):
            n_docs += len(batch)
            n_words += sum(len(eg.predicted) for eg in batch)
        return n_docs, n_words

    seconds, words, docs = [], 0, 0
    for _ in range(job["epochs"]):
        start = time.perf_counter()
        docs, words = epoch()
        seconds.append(time.perf_counter() - start)
    peak = _peak_mib()
    return {"words": words, "docs": docs, "shuffle": "list" if buffer is None else ("whole" if docs <= buffer else f"buf {buffer}"),
            "cached": getattr(corpus, "cached", True), "base_rss_mib": round(base, 1), "peak_rss_mib": round(peak, 1),
            "growth_mib": round(peak - base, 1), "epoch_seconds": [round(t, 3) for t in seconds]}


def _train_child(job: dict, has_shuffle_buffer: bool) -> dict:
    from nbnlp.core.commands.init_config import init_config
    from nbnlp.core.config import load_config
    from nbnlp.core.training import iter_training

    config = load_config(init_config(pipeline=["tagger", "parser"], train_path=job["path"], dev_path=job["dev"]), interpolate=False)
    config["training"].update({"max_steps": job["steps"], "eval_frequency": job["steps"], "patience": 0})
    if job["shuffle_buffer"] is not None and has_shuffle_buffer:
        config["training"]["shuffle_buffer"] = job["shuffle_buffer"]
    config["corpora"]["train"]["n_sents"] = job["n_sents"]
    if job["cache_words"] is not None:
        config["corpora"]["train"]["cache_words"] = job["cache_words"]
    config["corpora"]["dev"]["limit"] = 200
    base = _rss_mib()
    start = time.perf_counter()
    first = None
    last = None
    for info in iter_training(config, job["out"]):
        last = info
        if first is None:
            first = time.perf_counter() - start
    peak = _peak_mib()
    return {"steps": last.step if last else 0, "words": last.words if last else 0, "seconds": round(time.perf_counter() - start, 1),
            "first_step_seconds": round(first or 0.0, 1), "base_rss_mib": round(base, 1), "peak_rss_mib": round(peak, 1),
            "growth_mib": round(peak - base, 1)}


if __name__ == "__main__":
    main()
