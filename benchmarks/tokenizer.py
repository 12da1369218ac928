"""Benchmark the English tokenizer on UD English EWT: span P/R/F1 against gold, and tokens/second.

Usage: python benchmarks/tokenizer.py [--data-dir DIR] [--split dev] [--repeats 5] [--errors 30]
       [--output results.json]

Gold tokens are defined in `nbnlp.core.tokenizer_eval`. Speed is measured on the `# text` lines:
once with an empty chunk cache (cold: every chunk goes through the rules) and then the best of
`--repeats` passes with a warm cache; both include building the Doc objects.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nbnlp.core.lang import create_tokenizer  # noqa: E402
from nbnlp.core.tokenizer_eval import read_conllu_gold, score_tokenization  # noqa: E402


def measure_speed(texts: list[str], lang: str, repeats: int) -> dict[str, float]:
    """Tokens/s with a cold cache (fresh tokenizer, one pass) and the best warm pass."""
    tokenizer = create_tokenizer(lang)
    start = time.perf_counter()
    n_tokens = sum(len(doc) for doc in tokenizer.pipe(texts))
    cold = time.perf_counter() - start
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for doc in tokenizer.pipe(texts):
            pass
        best = min(best, time.perf_counter() - start)
    return {"n_tokens": n_tokens, "n_texts": len(texts), "cold_tokens_per_s": n_tokens / cold,
            "warm_tokens_per_s": n_tokens / best, "warm_seconds": best, "cold_seconds": cold}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data",
                        help="folder holding ud-english-ewt/ (default: <repo>/../shared/data)")
    parser.add_argument("--split", default="dev", help="dev, train or test")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--repeats", type=int, default=5, help="warm passes (best is reported)")
    parser.add_argument("--errors", type=int, default=0, help="print the N most frequent error types")
    parser.add_argument("--output", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)

    path = args.data_dir / "ud-english-ewt" / f"{args.split}.conllu"
    if not path.exists():
        parser.error(f"{path} not found; pass --data-dir")
    gold = read_conllu_gold(path)
    tokenizer = create_tokenizer(args.lang)
    scores = score_tokenization(gold, tokenizer.split, collect_errors=args.errors > 0)
    speed = measure_speed([s.text for s in gold], args.lang, args.repeats)
    result = {"data": str(path), "lang": args.lang, "n_sentences": len(gold), **scores.as_dict(), **speed}

    print(f"UD EWT {args.split}: {len(gold)} sentences, {scores.n_gold} gold tokens, {scores.n_pred} predicted")
    print(f"  precision {scores.precision:.4f}  recall {scores.recall:.4f}  F1 {scores.f1:.4f}")
    print(f"  speed: {speed['cold_tokens_per_s']:,.0f} tokens/s cold cache, "
          f"{speed['warm_tokens_per_s']:,.0f} tokens/s warm (best of {args.repeats}), Doc objects included")
    if args.errors:
        print(f"\nMost frequent errors (gold | predicted), {sum(scores.errors.values())} in all:")
        for (g, p), count in scores.errors.most_common(args.errors):
            print(f"  {count:5d}  gold {g!r:40} pred {p!r}")
    print(json.dumps(result))
    if args.output:
        args.output.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
