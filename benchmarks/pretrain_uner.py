"""Does pretraining the tok2vec on raw EWT text help NER on UniversalNER English-EWT?

1. Pretrains the tok2vec of the config `nbnlp init-config --pipeline ner --pretraining` writes (character
   objective) on the raw texts of UD EWT train.conllu (the `# text =` lines, as JSONL `{"text"}`) for a
   wall-clock budget; the weights reached then are saved.
2. Trains NER twice from the same config, seed and number of steps: once from scratch, once with
   `[initialize] init_tok2vec` = the pretrained weights. UNER's train split is not in ../shared/data, so
   as in `uner.py` the NER is trained on UNER dev.iob2 and scored on UNER test.iob2 (gold tokens,
   model-last; test is only watched during training, never used to pick a model). The UNER sentences are
   UD EWT dev/test sentences, so none of them is in the pretraining text.

Usage: python benchmarks/pretrain_uner.py [--pretrain-seconds 600] [--ner-steps 2000] [--seeds 0,1]
       [--mask-probability 0.15] [--conditions scratch,pretrained] [--output out.json]
(`--mask-probability 0` predicts every word from inputs that show it; `--conditions pretrained` skips the scratch
runs, which do not depend on the pretraining and are deterministic for a seed.)
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import nbnlp
from _common import gold_examples, machine, peak_memory_mib
from nbnlp.core.config import load_config
from nbnlp.core.commands.init_config import init_config
from nbnlp.core.commands.pretrain import iter_pretrain
from nbnlp.core.training import iter_training

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
SCORE_KEYS = ("ents_p", "ents_r", "ents_f")


def write_raw_text(conllu: Path, out: Path) -> tuple[int, int]:
    """The `# text = ...` sentences of a CoNLL-U file as JSONL {"text"}; returns (texts, whitespace words)."""
    n_texts = n_words = 0
    with open(conllu, encoding="utf8") as src, open(out, "w", encoding="utf8") as dst:
        for line in src:
            if line.startswith("# text = "):
                text = line[len("# text = "):].strip()
                if text:
                    dst.write(json.dumps({"text": text}) + "\n")
                    n_texts += 1
                    n_words += len(text.split())
    return n_texts, n_words


def build_config(uner: Path, raw_text: Path, args: argparse.Namespace):
    text = init_config(pipeline=["ner"], train_path=str(uner / "dev.iob2"), dev_path=str(uner / "test.iob2"), pretraining=True)
    config = load_config(text, interpolate=False)
    config["paths"]["raw_text"] = str(raw_text)
    ner = config["components"]["ner"]
    ner["entity_weight"] = 3.0  # the settings benchmarks/uner.py uses
    ner["model"].update({"hidden_width": 128, "window_size": 0})
    config["training"].update({"max_steps": args.ner_steps, "eval_frequency": args.eval_frequency, "patience": 0, "dropout": 0.1})
    for split in ("train", "dev"):
        config["corpora"][split]["gold_preproc"] = True
    config["pretraining"]["max_epochs"] = 1000  # stopped by the wall-clock budget
    config["pretraining"]["objective"]["mask_probability"] = args.mask_probability
    return config


def run_pretraining(config, out: Path, seconds: float) -> dict:
    """Pretrain until `seconds` have passed; the weights reached are saved as out/model-final.bin."""
    start = time.perf_counter()
    run = iter_pretrain(config, out)
    last = None
    for step in run:
        last = step
        if step.is_epoch_end:
            print(f"pretrain epoch {step.epoch:>3}  words {step.words:>9}  loss per predicted word {step.loss:.4f}  {step.seconds:7.1f}s", flush=True)
        if time.perf_counter() - start >= seconds:
            break
    run.close()
    final = out / "model-final.bin"
    final.write_bytes(run.setup.tok2vec.to_bytes())
    elapsed = time.perf_counter() - start
    epochs = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()] if (out / "log.jsonl").exists() else []
    return {
        "seconds": round(elapsed, 1),
        "batches": last.step if last else 0,
        "words": last.words if last else 0,
        "full_epochs": len(epochs),
        "epoch_loss_per_word": [e["loss"] for e in epochs],
        "last_batch_epoch_loss_per_word": round(last.epoch_loss, 4) if last else None,
        "weights": str(final),
    }


def train_ner(config, out: Path, label: str) -> dict:
    """Train for the config's max_steps; score model-last on UNER test with gold tokens."""
    start = time.perf_counter()
    history = []
    run = iter_training(config, out)
    for info in run:
        if info.scores is not None:
            history.append({"step": info.step, "seconds": round(info.seconds, 1), "ents_f": round(info.scores.get("ents_f") or 0.0, 4)})
            print(f"{label:<12} step {info.step:>5}  {info.seconds:7.1f}s  test ents_f {100 * (info.scores.get('ents_f') or 0):.2f}", flush=True)
    seconds = time.perf_counter() - start
    nlp = nbnlp.load(out / "model-last")
    return {"nlp": nlp, "seconds": round(seconds, 1), "steps": run.result.steps if run.result else 0, "history": history}


def scores_of(nlp, test: Path) -> dict:
    scores = nlp.evaluate(gold_examples(nlp, test))
    out = {k: round(scores[k], 4) for k in SCORE_KEYS}
    out["ents_per_type"] = {label: {m: round(v, 4) for m, v in prf.items()} for label, prf in (scores.get("ents_per_type") or {}).items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ewt", default=str(SHARED / "ud-english-ewt" / "train.conllu"), help="CoNLL-U whose texts are the raw text")
    parser.add_argument("--uner", default=str(SHARED / "uner-english-ewt"), help="folder with dev.iob2 and test.iob2")
    parser.add_argument("--pretrain-seconds", type=float, default=600.0, help="pretraining wall-clock budget")
    parser.add_argument("--ner-steps", type=int, default=2000, help="NER training steps (the same for both runs)")
    parser.add_argument("--eval-frequency", type=int, default=250)
    parser.add_argument("--seeds", default="0,1", help="comma-separated seeds for the NER runs (pretraining uses seed 0)")
    parser.add_argument("--mask-probability", type=float, default=0.15, help="share of words hidden and predicted in pretraining")
    parser.add_argument("--conditions", default="scratch,pretrained", help="which NER runs: scratch, pretrained or both")
    parser.add_argument("--output", default=None, help="write the JSON figures here")
    args = parser.parse_args()
    uner = Path(args.uner)
    seeds = [int(s) for s in args.seeds.split(",")]
    conditions = [c for c in ("scratch", "pretrained") if c in args.conditions.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        raw = tmp_path / "raw.jsonl"
        n_texts, n_words = write_raw_text(Path(args.ewt), raw)
        print(f"raw text: {n_texts} texts, {n_words} whitespace words from {args.ewt}", flush=True)
        config = build_config(uner, raw, args)
        pretraining = run_pretraining(config, tmp_path / "pretrain", args.pretrain_seconds) if "pretrained" in conditions else {}
        runs: dict = {label: [] for label in conditions}
        for seed in seeds:
            for label in conditions:
                cfg = load_config(config.to_str(), interpolate=False)  # a copy
                cfg["system"]["seed"] = seed
                if label == "pretrained":
                    cfg["initialize"]["init_tok2vec"] = pretraining["weights"]
                result = train_ner(cfg, tmp_path / f"{label}-{seed}", f"{label}/{seed}")
                test = scores_of(result.pop("nlp"), uner / "test.iob2")
                runs[label].append({"seed": seed, **result, "test": test})
                print(f"{label:<12} seed {seed}: test P {100 * test['ents_p']:.2f}  R {100 * test['ents_r']:.2f}  F {100 * test['ents_f']:.2f}"
                      f"  ({result['steps']} steps, {result['seconds']} s)", flush=True)
    mean = {label: {k: round(sum(r["test"][k] for r in rs) / len(rs), 4) for k in SCORE_KEYS} for label, rs in runs.items()}
    figures = {
        "question": "does pretraining the tok2vec on raw UD EWT train text help NER trained on UNER dev (scored on UNER test)?",
        "raw_text": {"file": args.ewt, "texts": n_texts, "whitespace_words": n_words},
        "pretraining": {k: v for k, v in pretraining.items() if k != "weights"},
        "pretraining_settings": {"objective": dict(config["pretraining"]["objective"]), "batcher_size": config["pretraining"]["batcher"]["size"],
                                 "dropout": config["pretraining"]["dropout"], "tok2vec": "init-config efficiency: width 96, depth 4, rows [5000, 1000, 2500, 2500]"},
        "ner_settings": {"train": str(uner / "dev.iob2"), "test": str(uner / "test.iob2"), "steps": args.ner_steps, "seeds": seeds,
                         "entity_weight": 3.0, "hidden_width": 128, "window_size": 0, "dropout": 0.1, "gold_preproc": True, "scored": "model-last"},
        "runs": runs,
        "mean_test": mean,
        "peak_memory_mib": peak_memory_mib(),
        "machine": machine(),
    }
    print(json.dumps({k: v for k, v in figures.items() if k != "runs"}, indent=2))
    for label, rs in runs.items():
        for r in rs:
            print(label, r["seed"], {k: r["test"][k] for k in SCORE_KEYS}, "history", r["history"])
    if args.output:
        Path(args.output).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf8")


if __name__ == "__main__":
    main()
