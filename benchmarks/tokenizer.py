"""Benchmark the English tokenizer on UD English EWT: span P/R/F1 against gold, and tokens/second.

Usage: python benchmarks/tokenizer.py [--data-dir DIR] [--split dev] [--repeats 5] [--errors 30]
       [--output results.json] [--against-spacy PYTHON]

Gold tokens are defined in `nbnlp.core.tokenizer_eval`. Speed is measured on the `# text` lines:
once with an empty chunk cache (cold: every chunk goes through the rules) and then the best of
`--repeats` passes with a warm cache; both include building the Doc objects. Iteration is the best
pass reading every token's `.text` over the tokenized docs.

With `--against-spacy PYTHON` (a Python with spacy==3.8.18), spaCy's `spacy.blank("en")` tokenizer is
timed the same way on the same texts in that Python (benchmarks/spacy_side.py, `taskset -c 1`), this
process runs on core 0, and both rows are printed with the ratios nbnlp / spaCy.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import against_spacy  # noqa: E402
from nbnlp.core.lang import create_tokenizer  # noqa: E402
from nbnlp.core.tokenizer_eval import read_conllu_gold, score_tokenization  # noqa: E402


SPEED_KEYS = ("cold_tokens_per_s", "warm_tokens_per_s", "iterate_tokens_per_s")


def iterate_text(docs: list) -> int:
    """Touch every token's text, as user code walking a doc does."""
    n = 0
    for doc in docs:
        for token in doc:
            token.text
            n += 1
    return n


def measure_speed(texts: list[str], lang: str, repeats: int) -> dict[str, float]:
    """Tokens/s with a cold cache (fresh tokenizer, one pass), the best warm pass, and token iteration."""
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
    docs = list(tokenizer.pipe(texts))
    iteration = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        iterate_text(docs)
        iteration = min(iteration, time.perf_counter() - start)
    return {"n_tokens": n_tokens, "n_texts": len(texts), "cold_tokens_per_s": n_tokens / cold,
            "warm_tokens_per_s": n_tokens / best, "warm_seconds": best, "cold_seconds": cold,
            "iterate_tokens_per_s": n_tokens / iteration, "iterate_seconds": iteration}


def print_side_by_side(ours: dict, spacy: dict, ratios: dict) -> None:
    """Both rows (tokens/s) and nbnlp / spaCy."""
    print(f"\n{'tokens/s':<13}{'cold':>12}{'warm':>12}{'iterate .text':>15}{'tokens':>9}")
    for name, row in (("nbnlp", ours), ("spaCy 3.8", spacy)):
        cold, warm, iterate = (row[k] for k in SPEED_KEYS)
        print(f"{name:<13}{cold:>12,.0f}{warm:>12,.0f}{iterate:>15,.0f}{row['n_tokens']:>9,}")
    cold, warm, iterate = (ratios[k] for k in SPEED_KEYS)
    print(f"{'nbnlp/spaCy':<13}{cold:>12.2f}{warm:>12.2f}{iterate:>15.2f}")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data",
                        help="folder holding ud-english-ewt/ (default: <repo>/../shared/data)")
    parser.add_argument("--split", default="dev", help="dev, train or test")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--repeats", type=int, default=5, help="warm passes (best is reported)")
    parser.add_argument("--errors", type=int, default=0, help="print the N most frequent error types")
    parser.add_argument("--output", type=Path, help="also write the results as JSON to this file")
    parser.add_argument("--against-spacy", metavar="PYTHON", help="also time spaCy's tokenizer in this Python")
    args = parser.parse_args(argv)
    if args.against_spacy:
        against_spacy.pin_self_to_core(against_spacy.NBNLP_CORE)

    path = args.data_dir / "ud-english-ewt" / f"{args.split}.conllu"
    if not path.exists():
        parser.error(f"{path} not found; pass --data-dir")
    gold = read_conllu_gold(path)
    tokenizer = create_tokenizer(args.lang)
    scores = score_tokenization(gold, tokenizer.split, collect_errors=args.errors > 0)
    texts = [s.text for s in gold]
    speed = measure_speed(texts, args.lang, args.repeats)
    result = {"data": str(path), "lang": args.lang, "n_sentences": len(gold), **scores.as_dict(), **speed}
    if args.against_spacy:
        spacy = against_spacy.tokenizer_speed(args.against_spacy, texts, repeats=args.repeats)
        result["spacy"] = spacy
        result["ratios"] = against_spacy.ratios(speed, spacy, SPEED_KEYS)

    print(f"UD EWT {args.split}: {len(gold)} sentences, {scores.n_gold} gold tokens, {scores.n_pred} predicted")
    print(f"  precision {scores.precision:.4f}  recall {scores.recall:.4f}  F1 {scores.f1:.4f}")
    print(f"  speed: {speed['cold_tokens_per_s']:,.0f} tokens/s cold cache, "
          f"{speed['warm_tokens_per_s']:,.0f} tokens/s warm (best of {args.repeats}), Doc objects included; "
          f"iterating .text {speed['iterate_tokens_per_s']:,.0f} tokens/s")
    if args.against_spacy:
        print_side_by_side(speed, result["spacy"], result["ratios"])
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
