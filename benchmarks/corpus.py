"""Corpus I/O speed: read CoNLL-U, convert to .nbnlp, read .nbnlp back; file sizes.

Usage: python benchmarks/corpus.py [--data ../shared/data] [--output results.json]
Prints words/sec for each step (best of --repeat runs) and the .nbnlp size against the .conllu.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--file", default="ud-english-ewt/train.conllu")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
