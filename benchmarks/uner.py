"""NER benchmark on UniversalNER English-EWT: train on dev.iob2, score on test.iob2 (JSON).

Trains the config `nbnlp init-config --pipeline ner` writes for a wall-clock budget (default 223 s,
what spaCy used), then scores **model-last** on test with gold tokenization (test is only watched
during training, never used to pick a model) and times `nlp.pipe` over the test docs.

Usage: python benchmarks/uner.py [--seconds 223] [--entity-weight 3] [--hidden-width 128]
       [--window-size 0] [--dropout 0.1] [--output results.json]
Reference (spaCy 3.8 efficiency CPU config, 223 s): test ents_f 43.32 (P 59.36, R 34.10;
LOC 60.3, ORG 33.3, PER 35.8).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from _common import gold_examples, machine, peak_memory_mib, train_for, words_per_second
from nbnlp.core.config import load_config
from nbnlp.core.init_config import init_config

REPO = Path(__file__).resolve().parents[1]
SCORE_KEYS = ("ents_p", "ents_r", "ents_f")
SETTINGS = ("entity_weight", "hidden_width", "window_size", "dropout")


def build_config(data: Path, args: argparse.Namespace):
    text = init_config(pipeline=["ner"], train_path=str(data / "dev.iob2"), dev_path=str(data / "test.iob2"))
    config = load_config(text, interpolate=False)
    ner = config["components"]["ner"]
    ner["entity_weight"] = args.entity_weight
    ner["model"].update({"hidden_width": args.hidden_width, "window_size": args.window_size})
    config["training"].update(
        {"max_steps": args.max_steps, "eval_frequency": args.eval_frequency, "patience": 0, "dropout": args.dropout}
    )
    for split in ("train", "dev"):
        config["corpora"][split]["gold_preproc"] = True
    return config


def rounded(scores: dict) -> dict:
    out = {k: round(scores[k], 4) if scores.get(k) is not None else None for k in SCORE_KEYS}
    out["ents_per_type"] = {label: {m: round(v, 4) for m, v in prf.items()} for label, prf in (scores.get("ents_per_type") or {}).items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "uner-english-ewt"))
    parser.add_argument("--seconds", type=float, default=223.0, help="training wall-clock budget")
    parser.add_argument("--max-steps", type=int, default=20000)
    parser.add_argument("--eval-frequency", type=int, default=200)
    parser.add_argument("--entity-weight", type=float, default=3.0)
    parser.add_argument("--hidden-width", type=int, default=128)
    parser.add_argument("--window-size", type=int, default=0)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--output", default=None, help="write the JSON figures here")
    args = parser.parse_args()
    data = Path(args.data)
    run = train_for(build_config(data, args), args.seconds, keep="model-last", describe=lambda i: {"ents_f": i.scores.get("ents_f") or 0.0})
    nlp = run.nlp
    examples = gold_examples(nlp, data / "test.iob2")
    figures = {
        **run.figures(),
        "settings": {k: getattr(args, k) for k in SETTINGS},
        "test": rounded(nlp.evaluate(examples)),
        "inference_words_per_sec": words_per_second(nlp, [eg.predicted for eg in examples]),
        "peak_memory_mib": peak_memory_mib(),
        "history": run.history,
        "machine": machine(),
    }
    print(json.dumps({k: v for k, v in figures.items() if k != "history"}, indent=2))
    if args.output:
        Path(args.output).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf8")


if __name__ == "__main__":
    main()
