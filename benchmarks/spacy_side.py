"""The spaCy half of the side-by-side benchmarks: run by a Python that has spacy==3.8.18, never by nbnlp's.

It imports spaCy and never nbnlp, so the two systems never share a process. nbnlp's
`benchmarks/against_spacy.py` launches it pinned to one core (`taskset -c 1`, one BLAS thread) and
reads the single JSON object each subcommand prints on stdout; everything else (spaCy's own
progress tables, warnings) goes to stderr.

Subcommands (protocol of issue 11, "How to measure"):

  prepare --data-dir D --out W [--pipeline tagger,parser|ner] [--n-sents 10] [--max-steps 4000]
      tagger,parser: `spacy convert -c conllu -n N` of D/{train,dev,test}.conllu.
      ner: D holds UniversalNER dev.iob2/test.iob2 (5 tab columns: index, form, IOB2 tag, -, annotator,
      with `#` comment lines), which no spaCy converter reads as they are: `-c ner` takes the first
      column as the word and the last as the tag, `-c iob` wants `word|tag` on one line. So each file
      is rewritten as `form TAG` lines (blank line between sentences, comments dropped) and then
      converted with `spacy convert -c ner -n N`. As in benchmarks/uner.py, train = dev.iob2 and the
      evaluation corpus = test.iob2.
      The config is `spacy init config --lang en --pipeline P --optimize efficiency`, untouched
      except [paths] and [training] max_steps.
  train --config C --output O [--max-steps N] [--max-seconds S]
      spaCy's own training loop in this process; stops at max_steps or once S seconds have passed
      since loading the config (as benchmarks/_common.train_for counts; model-last is then saved as
      on an interrupt). Reports seconds, steps, peak RSS.
  predict MODEL --texts IN.jsonl --out OUT.jsonl [--gold-tokens]
      One line per input ({"text"} or, for gold tokens, {"words", "spaces"}): words, spaces, tags,
      pos, heads (absolute, a root points to itself), deps, sent_starts, entities.
  evaluate MODEL DATA.spacy [--gold-preproc]      `spacy evaluate`'s scores, for reference.
  speed MODEL --texts IN.jsonl                    nlp.pipe (default batch size): 1 warm-up, best of 2.
  tokenizer-speed --texts IN.jsonl [--repeats 5] [--model M]
      tokens/s cold (fresh tokenizer, one pass), warm (best of repeats), and iterating every
      doc's tokens reading `.text`.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterable, Iterator, TextIO

import spacy
from spacy.tokens import Doc

RESULT: TextIO = sys.stdout  # the one JSON object goes here; all other output to stderr
sys.stdout = sys.stderr


def emit(result: dict[str, Any]) -> None:
    RESULT.write(json.dumps(result) + "\n")
    RESULT.flush()


def peak_rss_mib() -> dict[str, float]:
    """Peak resident memory of this process and of its largest finished child (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_rss_mib": round(own, 1), "peak_rss_children_mib": round(children, 1)}


def spacy_cli(*args: str) -> None:
    """`python -m spacy ...` in this same (already pinned) Python, its output on stderr."""
    command = [sys.executable, "-m", "spacy", *args]
    print("$ " + " ".join(command), file=sys.stderr, flush=True)
    subprocess.run(command, check=True, stdout=sys.stderr, stderr=sys.stderr)


# ----- prepare --------------------------------------------------------------------------------
def iob2_to_columns(source: Path, target: Path) -> int:
    """Rewrite a UniversalNER .iob2 file as the `form TAG` columns `spacy convert -c ner` reads."""
    lines: list[str] = []
    n_sents = 0
    in_sentence = False
    for raw in source.read_text(encoding="utf8").splitlines():
        if raw.startswith("#"):
            continue
        cols = raw.split("\t")
        if len(cols) < 3:
            if in_sentence:
                lines.append("")
                n_sents += 1
            in_sentence = False
            continue
        lines.append(f"{cols[1]} {cols[2]}")
        in_sentence = True
    if in_sentence:
        lines.append("")
        n_sents += 1
    target.write_text("\n".join(lines) + "\n", encoding="utf8")
    return n_sents


def convert_corpora(data_dir: Path, out: Path, pipeline: str, n_sents: int) -> dict[str, str]:
    """Convert the corpora into out/corpus; returns {"train", "dev", "test"} -> .spacy path."""
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    if pipeline == "ner":
        columns = out / "columns"
        columns.mkdir(exist_ok=True)
        for split in ("dev", "test"):
            n = iob2_to_columns(data_dir / f"{split}.iob2", columns / f"{split}.ner")
            print(f"{split}.iob2: {n} sentences -> {columns / f'{split}.ner'}", file=sys.stderr)
            spacy_cli("convert", str(columns / f"{split}.ner"), str(corpus), "-c", "ner", "-n", str(n_sents))
        return {"train": str(corpus / "dev.spacy"), "dev": str(corpus / "test.spacy"), "test": str(corpus / "test.spacy")}
    for split in ("train", "dev", "test"):
        spacy_cli("convert", str(data_dir / f"{split}.conllu"), str(corpus), "-c", "conllu", "-n", str(n_sents))
    return {split: str(corpus / f"{split}.spacy") for split in ("train", "dev", "test")}


def write_config(out: Path, pipeline: str, paths: dict[str, str], max_steps: int) -> Path:
    """`spacy init config ... --optimize efficiency`, then only [paths] and max_steps changed."""
    generated = out / "config.generated.cfg"
    spacy_cli("init", "config", str(generated), "--lang", "en", "--pipeline", pipeline, "--optimize", "efficiency", "--force")
    config = spacy.util.load_config(generated, interpolate=False)
    config["paths"]["train"] = paths["train"]
    config["paths"]["dev"] = paths["dev"]
    config["training"]["max_steps"] = max_steps
    target = out / "config.cfg"
    config.to_disk(target)
    return target


def cmd_prepare(args: argparse.Namespace) -> dict[str, Any]:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    paths = convert_corpora(Path(args.data_dir), out, args.pipeline, args.n_sents)
    config = write_config(out, args.pipeline, paths, args.max_steps)
    return {"config": str(config), "pipeline": args.pipeline, "n_sents": args.n_sents, "max_steps": args.max_steps, **paths}


# ----- train ----------------------------------------------------------------------------------
def cmd_train(args: argparse.Namespace) -> dict[str, Any]:
    """spaCy's `train` CLI steps (load_config, init_nlp, train) with a step counter and a time cap.

    The counter wraps `spacy.training.loop.train_while_improving` (looked up by name inside
    `spacy.training.loop.train`), so the loop itself is spaCy's, unchanged.
    """
    import spacy.training.loop as loop
    from spacy.training.initialize import init_nlp

    seen: dict[str, Any] = {"step": 0, "epoch": 0, "words": 0}
    inner = loop.train_while_improving
    start = time.perf_counter()

    def counted(*a: Any, **kw: Any) -> Iterator[Any]:
        for batch, info, is_best in inner(*a, **kw):
            seen.update(step=info["step"], epoch=info["epoch"], words=info["words"])
            yield batch, info, is_best
            if args.max_seconds and time.perf_counter() - start >= args.max_seconds:
                print(f"stopping at the {args.max_seconds:g} s budget, step {info['step']}", file=sys.stderr)
                return

    loop.train_while_improving = counted
    overrides: dict[str, Any] = {}
    if args.max_steps is not None:
        overrides["training.max_steps"] = args.max_steps
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    config = spacy.util.load_config(args.config, overrides=overrides, interpolate=False)
    nlp = init_nlp(config, use_gpu=-1)
    init_seconds = time.perf_counter() - start
    loop.train(nlp, output, use_gpu=-1, stdout=sys.stderr, stderr=sys.stderr)
    total = time.perf_counter() - start
    loop_seconds = total - init_seconds
    best = output / "model-best"
    return {
        "output": str(output),
        "model_best": str(best) if best.exists() else None,
        "model_last": str(output / "model-last"),
        "seconds": round(total, 2),
        "init_seconds": round(init_seconds, 2),
        "loop_seconds": round(loop_seconds, 2),
        "steps": seen["step"],
        "epochs": seen["epoch"] + 1,
        "words": seen["words"],
        "train_words_per_sec": round(seen["words"] / loop_seconds) if loop_seconds else 0,
        **peak_rss_mib(),
    }


# ----- predict / evaluate / speed ----------------------------------------------------------------
def read_inputs(path: Path, vocab: Any) -> list[Any]:
    """JSONL lines {"text": str} -> str, or {"words": [...], "spaces": [...]} -> a pre-tokenized Doc."""
    items: list[Any] = []
    with open(path, encoding="utf8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            if "words" in row:
                items.append(Doc(vocab, words=row["words"], spaces=row.get("spaces")))
            else:
                items.append(row["text"])
    return items


def analysis(doc: Doc) -> dict[str, Any]:
    """Everything nbnlp's scorer reads, as plain data; heads, sent_starts, entities null where nothing set them."""
    parsed = doc.has_annotation("DEP")
    return {
        "words": [t.text for t in doc],
        "spaces": [bool(t.whitespace_) for t in doc],
        "tags": [t.tag_ for t in doc],
        "pos": [t.pos_ for t in doc],
        "heads": [t.head.i for t in doc] if parsed else None,
        "deps": [t.dep_ for t in doc] if parsed else None,
        "sent_starts": [t.is_sent_start for t in doc] if doc.has_annotation("SENT_START") else None,
        "entities": [[e.start_char, e.end_char, e.label_] for e in doc.ents] if doc.has_annotation("ENT_IOB") else None,
    }


def cmd_predict(args: argparse.Namespace) -> dict[str, Any]:
    nlp = spacy.load(args.model)
    inputs = read_inputs(Path(args.texts), nlp.vocab)
    if args.gold_tokens and any(isinstance(x, str) for x in inputs):
        raise SystemExit("--gold-tokens: every input line needs words and spaces")
    n_words = 0
    with open(args.out, "w", encoding="utf8") as out:
        for doc in nlp.pipe(inputs):
            n_words += len(doc)
            out.write(json.dumps(analysis(doc)) + "\n")
    return {"out": args.out, "n_docs": len(inputs), "n_words": n_words, "pipeline": nlp.pipe_names}


def cmd_evaluate(args: argparse.Namespace) -> dict[str, Any]:
    from spacy.cli.evaluate import evaluate

    scores = evaluate(args.model, Path(args.data), gold_preproc=args.gold_preproc, silent=True)
    return {"model": args.model, "data": args.data, "gold_preproc": args.gold_preproc, "scores": scores}


def timed_pass(nlp: Any, inputs: list[Any]) -> tuple[float, int]:
    start = time.perf_counter()
    n_words = sum(len(doc) for doc in nlp.pipe(inputs))
    return time.perf_counter() - start, n_words


def cmd_speed(args: argparse.Namespace) -> dict[str, Any]:
    nlp = spacy.load(args.model)
    inputs = read_inputs(Path(args.texts), nlp.vocab)
    timed_pass(nlp, inputs)  # warm-up
    passes = [timed_pass(nlp, inputs) for _ in range(args.passes)]
    best, n_words = min(passes)
    return {"n_docs": len(inputs), "n_words": n_words, "pass_seconds": [round(s, 3) for s, _ in passes],
            "words_per_sec": round(n_words / best), "pipeline": nlp.pipe_names}


def iterate_text(docs: Iterable[Doc]) -> int:
    """Touch every token's text, as user code walking a doc does."""
    n = 0
    for doc in docs:
        for token in doc:
            token.text
            n += 1
    return n


def cmd_tokenizer_speed(args: argparse.Namespace) -> dict[str, Any]:
    """Cold: a fresh tokenizer's first pass (its cache empty); warm: best of `repeats` passes."""
    def fresh() -> Any:
        return (spacy.load(args.model) if args.model else spacy.blank("en")).tokenizer

    texts = [t for t in read_inputs(Path(args.texts), spacy.blank("en").vocab) if isinstance(t, str)]
    tokenizer = fresh()
    start = time.perf_counter()
    n_tokens = sum(len(doc) for doc in tokenizer.pipe(texts))
    cold = time.perf_counter() - start
    warm = float("inf")
    for _ in range(args.repeats):
        start = time.perf_counter()
        for _doc in tokenizer.pipe(texts):
            pass
        warm = min(warm, time.perf_counter() - start)
    docs = list(tokenizer.pipe(texts))
    iteration = float("inf")
    for _ in range(args.repeats):
        start = time.perf_counter()
        iterate_text(docs)
        iteration = min(iteration, time.perf_counter() - start)
    return {"n_texts": len(texts), "n_tokens": n_tokens, "cold_seconds": cold, "warm_seconds": warm,
            "cold_tokens_per_s": n_tokens / cold, "warm_tokens_per_s": n_tokens / warm,
            "iterate_seconds": iteration, "iterate_tokens_per_s": n_tokens / iteration,
            "tokenizer": args.model or "spacy.blank('en')", "spacy_version": spacy.__version__}


# ----- command line ---------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="convert corpora and write the protocol config")
    p.add_argument("--data-dir", "--conllu-dir", dest="data_dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--pipeline", default="tagger,parser", help="tagger,parser or ner")
    p.add_argument("--n-sents", type=int, default=10)
    p.add_argument("--max-steps", type=int, default=4000)
    p.set_defaults(run=cmd_prepare)
    p = sub.add_parser("train", help="spacy train, timed")
    p.add_argument("--config", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--max-steps", type=int, default=None, help="override [training] max_steps")
    p.add_argument("--max-seconds", type=float, default=None, help="stop training after this many seconds")
    p.set_defaults(run=cmd_train)
    p = sub.add_parser("predict", help="write spaCy's analysis of each input as JSONL")
    p.add_argument("model")
    p.add_argument("--texts", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--gold-tokens", action="store_true", help="inputs are words+spaces (checked)")
    p.set_defaults(run=cmd_predict)
    p = sub.add_parser("evaluate", help="spacy evaluate")
    p.add_argument("model")
    p.add_argument("data")
    p.add_argument("--gold-preproc", action="store_true")
    p.set_defaults(run=cmd_evaluate)
    p = sub.add_parser("speed", help="nlp.pipe words/s")
    p.add_argument("model")
    p.add_argument("--texts", required=True)
    p.add_argument("--passes", type=int, default=2)
    p.set_defaults(run=cmd_speed)
    p = sub.add_parser("tokenizer-speed", help="tokenizer tokens/s, cold and warm")
    p.add_argument("--texts", required=True)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--model", default=None, help="use this pipeline's tokenizer instead of spacy.blank('en')")
    p.set_defaults(run=cmd_tokenizer_speed)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    emit(args.run(args))


if __name__ == "__main__":
    main()
