"""Rebuild the small demo corpus shipped in nbnlp/data/demo/ from ../shared/data (run from the repo root).

Slices are the first N sentences (UD/UNER) or records (SMS) of each source file, verbatim.
"""
from __future__ import annotations

import argparse
from pathlib import Path

SLICES = [
    ("ud-english-ewt/train.conllu", "ewt-train.conllu", 800),
    ("ud-english-ewt/dev.conllu", "ewt-dev.conllu", 200),
    ("uner-english-ewt/dev.iob2", "uner-train.iob2", 800),
    ("uner-english-ewt/test.iob2", "uner-dev.iob2", 200),
]
JSONL_SLICES = [
    ("sms-spam-collection/train.jsonl", "sms-train.jsonl", 600),
    ("sms-spam-collection/dev.jsonl", "sms-dev.jsonl", 150),
]


def first_sentences(src: Path, n: int) -> str:
    """The first n blank-line-separated blocks of a CoNLL-style file, verbatim."""
    out: list[str] = []
    count = 0
    with src.open(encoding="utf8") as f:
        block: list[str] = []
        for line in f:
            if line.strip():
                block.append(line)
            elif block:
                out.extend(block)
                out.append("\n")
                block = []
                count += 1
                if count >= n:
                    break
    return "".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "nbnlp" / "data" / "demo"))
    args = parser.parse_args()
    data, out = Path(args.data), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for src, dst, n in SLICES:
        (out / dst).write_text(first_sentences(data / src, n), encoding="utf8")
    for src, dst, n in JSONL_SLICES:
        lines = (data / src).read_text(encoding="utf8").splitlines(keepends=True)[:n]
        (out / dst).write_text("".join(lines), encoding="utf8")
    print("wrote", sorted(p.name for p in out.iterdir()))


if __name__ == "__main__":
    main()
