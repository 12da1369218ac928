"""Token iteration speed: tokens/s of `for token in doc: token.text` over UD English EWT sentences.

Usage: python benchmarks/token_iteration.py [--data-dir DIR] [--split dev] [--repeats 5]
       [--against-spacy PYTHON]

The docs are the `# text` lines of the split, tokenized by nbnlp's English tokenizer (or by
`spacy.blank("en")` on spaCy's side). "first" is one pass over freshly made docs, what code that
walks each doc of `nlp.pipe` once pays; "best" is the best of `--repeats` further passes over the
same docs. Times are this process's CPU time, so other jobs sharing the core count less.

With `--against-spacy PYTHON` (a Python with spacy==3.8.18) this process runs on core 0, then this
same script runs under PYTHON with `--side spacy` on core 1, and both rows and nbnlp / spaCy print.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import against_spacy  # noqa: E402  (imports neither numpy nor nbnlp: safe on spaCy's side)

KEYS = ("first_tokens_per_s", "best_tokens_per_s")


def read_texts(path: Path) -> list[str]:
    """The `# text = ...` lines of a .conllu file (without nbnlp, so spaCy's side can read them)."""
    prefix = "# text = "
    with path.open(encoding="utf8") as f:
        return [line[len(prefix):].rstrip("\n") for line in f if line.startswith(prefix)]


def read_all_texts(docs: Iterable[Any]) -> float:
    """CPU seconds to read every token's `.text`, as user code walking docs does."""
    start = time.process_time()
    for doc in docs:
        for token in doc:
            token.text
    return time.process_time() - start


def measure(make_docs: Callable[[list[str]], list[Any]], texts: list[str], repeats: int) -> dict[str, Any]:
    """Tokens/s of a first pass over fresh docs and of the best of `repeats` later passes."""
    docs = make_docs(texts)
    n_tokens = sum(len(doc) for doc in docs)
    first = read_all_texts(docs)
    best = min(read_all_texts(docs) for _ in range(repeats))
    return {"n_docs": len(docs), "n_tokens": n_tokens,
            "first_tokens_per_s": n_tokens / first, "best_tokens_per_s": n_tokens / best}


def nbnlp_docs(texts: list[str]) -> list[Any]:
    from nbnlp.core.lang import create_tokenizer

    return list(create_tokenizer("en").pipe(texts))


def spacy_docs(texts: list[str]) -> list[Any]:
    import spacy

    return list(spacy.blank("en").tokenizer.pipe(texts))


def run_spacy_side(python: str, args: argparse.Namespace) -> dict[str, Any]:
    """This script under spaCy's Python, pinned to the other core; its JSON result."""
    command = ["taskset", "-c", str(against_spacy.SPACY_CORE), python, str(Path(__file__).resolve()),
               "--side", "spacy", "--data-dir", str(args.data_dir), "--split", args.split,
               "--repeats", str(args.repeats)]
    done = subprocess.run(command, capture_output=True, text=True, env=against_spacy.pinned_env(), check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data",
                        help="folder holding ud-english-ewt/ (default: <repo>/../shared/data)")
    parser.add_argument("--split", default="dev", help="dev, train or test")
    parser.add_argument("--repeats", type=int, default=5, help="passes after the first (best is reported)")
    parser.add_argument("--against-spacy", metavar="PYTHON", help="also time spaCy in this Python")
    parser.add_argument("--side", choices=("nbnlp", "spacy"), default="nbnlp", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    path = args.data_dir / "ud-english-ewt" / f"{args.split}.conllu"
    if not path.exists():
        parser.error(f"{path} not found; pass --data-dir")
    texts = read_texts(path)
    if args.side == "spacy":
        row = measure(spacy_docs, texts, args.repeats)
        print(json.dumps(row))
        return row

    if args.against_spacy:
        against_spacy.pin_self_to_core(against_spacy.NBNLP_CORE)
    result: dict[str, Any] = {"data": str(path), "nbnlp": measure(nbnlp_docs, texts, args.repeats)}
    rows = [("nbnlp", result["nbnlp"])]
    if args.against_spacy:
        result["spacy"] = run_spacy_side(args.against_spacy, args)
        result["ratios"] = against_spacy.ratios(result["nbnlp"], result["spacy"], KEYS)
        rows.append(("spaCy 3.8", result["spacy"]))
    print(f"iterating token.text, UD EWT {args.split} ({len(texts)} docs), tokens/s of CPU time")
    print(f"{'':<13}{'first pass':>14}{'best of ' + str(args.repeats):>14}{'tokens':>9}")
    for name, row in rows:
        print(f"{name:<13}{row['first_tokens_per_s']:>14,.0f}{row['best_tokens_per_s']:>14,.0f}{row['n_tokens']:>9,}")
    if args.against_spacy:
        print(f"{'nbnlp/spaCy':<13}" + "".join(f"{result['ratios'][k]:>14.2f}" for k in KEYS))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
