"""How the parser's `sent_threshold` trades sentence precision against recall on raw documents.

For a saved tagger+parser pipeline, the UD EWT split's `# text` lines are joined by one space into
documents of `--n-sents` sentences (as `benchmarks/ewt.py --raw-docs` does), and for each
threshold the pipeline splits and parses them; the table shows sentence P/R/F and UAS/LAS. The
threshold only affects inference (training learns from the reference's sentence starts), so one
trained pipeline answers for every threshold. Choose on dev, never on test.

Usage: python benchmarks/sentence_threshold.py MODEL [--split dev] [--n-sents 10]
       [--thresholds 0.2,0.3,0.4,0.5,0.6]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import nbnlp
from against_spacy import raw_documents
from nbnlp.core.example import Example

REPO = Path(__file__).resolve().parents[1]
KEYS = ("sents_p", "sents_r", "sents_f", "dep_uas", "dep_las")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "ud-english-ewt"))
    parser.add_argument("--split", default="dev")
    parser.add_argument("--n-sents", type=int, default=10)
    parser.add_argument("--thresholds", default="0.2,0.3,0.4,0.5,0.6")
    args = parser.parse_args()
    nlp = nbnlp.load(args.model)
    texts, golds = raw_documents(Path(args.data) / f"{args.split}.conllu", args.n_sents, vocab=nlp.vocab)
    examples = [Example(nlp.make_doc(text), gold) for text, gold in zip(texts, golds)]
    print(f"{'threshold':>9}" + "".join(f"{k:>9}" for k in KEYS))
    for threshold in (float(t) for t in args.thresholds.split(",")):
        nlp.get_pipe("parser").sent_threshold = threshold
        scores = nlp.evaluate(examples)
        print(f"{threshold:>9.2f}" + "".join(f"{100 * scores[k]:>9.2f}" for k in KEYS), flush=True)


if __name__ == "__main__":
    main()
