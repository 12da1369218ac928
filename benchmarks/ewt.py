"""Tagger and parser benchmark on UD English-EWT: accuracy, training and inference speed, peak memory (JSON).

Trains the config `nbnlp init-config --pipeline tagger[,parser]` writes (with --pos a second
tagger for UPOS on the same tok2vec) on train.conllu for a wall-clock budget, then evaluates
model-best on dev and test with gold tokenization and times `nlp.pipe` over the raw test texts
(tokenizer included).

Usage: python benchmarks/ewt.py [--seconds 990] [--parser] [--pos] [--output results.json]
Reference (spaCy 3.8 efficiency CPU config, tagger+parser, same machine kind): test tag_acc 93.06,
dep_uas 84.85, dep_las 80.91 after 990 s / 4,000 steps; ~2,000 words/s training, ~14,000 words/s
inference, 889 MiB peak.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import nbnlp
from _common import gold_examples, machine, peak_memory_mib, train_for, words_per_second
from nbnlp.core.config import load_config
from nbnlp.core.init_config import init_config

REPO = Path(__file__).resolve().parents[1]
SCORE_KEYS = ("tag_acc", "pos_acc", "dep_uas", "dep_las", "sents_f")
REPORT_KEYS = ("tag_acc", "pos_acc", "token_acc", "dep_uas", "dep_las", "sents_p", "sents_r", "sents_f", "speed", "dep_las_per_type")


def build_config(data: Path, args: argparse.Namespace):
    pipeline = ["tagger", "parser"] if args.parser else ["tagger"]
    text = init_config(pipeline=pipeline, train_path=str(data / "train.conllu"), dev_path=str(data / "dev.conllu"))
    config = load_config(text, interpolate=False)
    if args.pos:
        config["nlp"]["pipeline"] = [*config["nlp"]["pipeline"], "pos"]
        config["components"]["pos"] = {**json.loads(json.dumps(config["components"]["tagger"])), "label_attr": "pos"}
        config["training"]["score_weights"]["pos_acc"] = config["training"]["score_weights"]["tag_acc"]
    training = config["training"]
    training.update({"max_steps": args.max_steps, "eval_frequency": args.eval_frequency, "patience": 0})
    for split in ("train", "dev"):
        config["corpora"][split]["gold_preproc"] = True
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "ud-english-ewt"))
    parser.add_argument("--seconds", type=float, default=990.0, help="training wall-clock budget")
    parser.add_argument("--max-steps", type=int, default=20000)
    parser.add_argument("--eval-frequency", type=int, default=200)
    parser.add_argument("--pos", action="store_true", help="also train a UPOS tagger on the shared tok2vec")
    parser.add_argument("--parser", action="store_true", help="also train a dependency parser on the shared tok2vec")
    parser.add_argument("--output", default=None, help="write the JSON figures here")
    args = parser.parse_args()
    data = Path(args.data)
    run = train_for(build_config(data, args), args.seconds, describe=lambda i: {k: i.scores[k] for k in SCORE_KEYS if i.scores.get(k) is not None})
    nlp = run.nlp
    results = {}
    for split in ("dev", "test"):
        scores = nlp.evaluate(gold_examples(nlp, data / f"{split}.conllu"))
        results[split] = {k: scores[k] for k in REPORT_KEYS if k in scores}
    texts = [d.user_data.get("text") or d.text for d in nbnlp.load_docs(data / "test.conllu")]
    figures = {
        **run.figures(),
        "dev": results["dev"],
        "test": results["test"],
        "inference_words_per_sec": words_per_second(nlp, texts),
        "peak_memory_mib": peak_memory_mib(),
        "history": run.history,
        "machine": machine(),
    }
    summary = {k: v for k, v in figures.items() if k != "history"}
    for split in ("dev", "test"):
        summary[split] = {k: v for k, v in figures[split].items() if k != "dep_las_per_type"}
    print(json.dumps(summary, indent=2))
    if args.output:
        Path(args.output).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf8")


if __name__ == "__main__":
    main()
