"""Tagger (and parser) benchmark on UD English-EWT: accuracy, training and inference speed, peak memory (JSON).

Trains tok2vec + tagger (XPOS, and with --pos a second tagger for UPOS sharing the tok2vec; with
--parser a dependency parser sharing it too) on train.conllu for a wall-clock budget, then
evaluates model-best on dev and test with gold tokenization, and times `nlp.pipe` over the raw
test texts (tokenizer included).

Usage: python benchmarks/ewt.py [--seconds 990] [--pos] [--parser] [--output results.json]
Reference (spaCy 3.8 efficiency CPU config, tagger+parser, same machine kind): tag_acc 93.06 on
test after 990 s / 4,000 steps, ~2,000 words/s training, ~14,000 words/s inference, 889 MiB peak.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import nbnlp
from nbnlp.core.config import load_config
from nbnlp.core.example import Example
from nbnlp.core.init_config import init_config
from nbnlp.core.training import iter_training

REPO = Path(__file__).resolve().parents[1]


PARSER_BLOCK = {
    "factory": "parser",
    "max_length": 200,
    "decoder": "eisner",
    "model": {
        "@architectures": "nbnlp.BiaffineParser.v1",
        "arc_width": 128,
        "label_width": 64,
        "depth": 2,
        "window_size": 2,
        "nO": None,
        "tok2vec": {
            "@architectures": "nbnlp.Tok2VecListener.v1",
            "width": "${components.tok2vec.model.encode.width}",
            "upstream": "tok2vec",
        },
    },
}
SCORE_KEYS = ("tag_acc", "pos_acc", "dep_uas", "dep_las", "sents_f")


def build_config(train: Path, dev: Path, with_pos: bool, max_steps: int, eval_frequency: int, with_parser: bool = False):
    config = load_config(init_config(pipeline=["tagger"], train_path=str(train), dev_path=str(dev)), interpolate=False)
    if with_parser:
        config["nlp"]["pipeline"] = ["tok2vec", "tagger", "parser"]
        config["components"]["parser"] = json.loads(json.dumps(PARSER_BLOCK))
        config["training"]["score_weights"] = {"tag_acc": 0.34, "dep_uas": 0.33, "dep_las": 0.33}
    if with_pos:
        config["nlp"]["pipeline"] = ["tok2vec", "tagger", "pos"] + (["parser"] if with_parser else [])
        pos = json.loads(json.dumps(config["components"]["tagger"]))
        pos["label_attr"] = "pos"
        config["components"]["pos"] = pos
        config["training"]["score_weights"] = {"tag_acc": 0.5, "pos_acc": 0.5}
        if with_parser:
            config["training"]["score_weights"] = {"tag_acc": 0.25, "pos_acc": 0.25, "dep_uas": 0.25, "dep_las": 0.25}
    config["training"]["max_steps"] = max_steps
    config["training"]["eval_frequency"] = eval_frequency
    config["training"]["patience"] = 0
    config["corpora"]["train"]["gold_preproc"] = True
    config["corpora"]["dev"]["gold_preproc"] = True
    return config


def peak_memory_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def gold_examples(nlp, path: Path) -> list[Example]:
    refs = list(nbnlp.load_docs(path, vocab=nlp.vocab))
    return [Example(nbnlp.Doc.from_orths(nlp.vocab, r.arrays["ORTH"], r.arrays["SPACY"]), r) for r in refs]


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
    config = build_config(data / "train.conllu", data / "dev.conllu", args.pos, args.max_steps, args.eval_frequency, args.parser)

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        last = None
        history = []
        steps = iter_training(config, Path(tmp) / "out")
        for info in steps:
            last = info
            if info.scores is not None:
                history.append({"step": info.step, "seconds": round(info.seconds, 1), "score": info.score, **{k: v for k, v in info.scores.items() if k in SCORE_KEYS}})
                shown = "  ".join(f"{k} {info.scores[k]:.4f}" for k in SCORE_KEYS if info.scores.get(k) is not None)
                print(f"step {info.step:>6}  {info.seconds:7.1f}s  words {info.words:>8}  score {info.score:.4f}  {shown}", flush=True)
            if time.perf_counter() - start >= args.seconds:
                break
        steps.close()  # ends training the way an interrupt does: model-best and model-last are written
        train_seconds = time.perf_counter() - start
        nlp = nbnlp.load(Path(tmp) / "out" / "model-best")

    results = {}
    for split in ("dev", "test"):
        examples = gold_examples(nlp, data / f"{split}.conllu")
        scores = nlp.evaluate(examples)
        keys = ("tag_acc", "pos_acc", "token_acc", "dep_uas", "dep_las", "sents_p", "sents_r", "sents_f", "speed", "dep_las_per_type")
        results[split] = {k: scores[k] for k in keys if k in scores}
    texts = [d.user_data.get("text") or d.text for d in nbnlp.load_docs(data / "test.conllu")]
    start = time.perf_counter()
    n_words = sum(len(doc) for doc in nlp.pipe(texts))
    infer_seconds = time.perf_counter() - start
    figures = {
        "pipeline": nlp.pipe_names,
        "train_seconds": round(train_seconds, 1),
        "train_steps": last.step if last else 0,
        "train_words": last.words if last else 0,
        "train_words_per_sec": round((last.words if last else 0) / train_seconds),
        "dev": results["dev"],
        "test": results["test"],
        "inference_words_per_sec": round(n_words / infer_seconds),
        "peak_memory_mib": round(peak_memory_mib(), 1),
        "history": history,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    summary = {k: v for k, v in figures.items() if k != "history"}
    summary["dev"] = {k: v for k, v in figures["dev"].items() if k != "dep_las_per_type"}
    summary["test"] = {k: v for k, v in figures["test"].items() if k != "dep_las_per_type"}
    print(json.dumps(summary, indent=2))
    if args.output:
        Path(args.output).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf8")


if __name__ == "__main__":
    main()
