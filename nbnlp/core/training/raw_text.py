"""`nbnlp.JsonlCorpus.v1`: the raw-text reader `[corpora.pretrain]` names, streaming docs without annotation."""
from typing import TYPE_CHECKING, Callable, Iterator, Optional

from ..corpus.loader import detect_format, iter_corpus_files, load_docs
from ..doc import Doc
from ..registry import registry
from .corpus import Corpus

if TYPE_CHECKING:
    from ..language import Language


class RawTextCorpus(Corpus):
    """Callable `corpus(nlp) -> Iterator[Doc]`: the docs of a raw-text corpus, streamed anew each epoch."""

    def __init__(self, path: Optional[str], *, min_length: int = 0, max_length: int = 0, limit: int = 0) -> None:
        super().__init__(path, max_length=max_length, limit=limit)
        self.min_length = min_length

    def __call__(self, nlp: "Language") -> Iterator[Doc]:  # type: ignore[override]
        self.check_path()
        n = 0
        for file in iter_corpus_files(self.path):
            # JSONL text is tokenized by the pipeline's own tokenizer; other formats keep their tokens.
            options = {"tokenizer": nlp.make_doc} if detect_format(file).name == "jsonl" else {}
            for doc in load_docs(file, vocab=nlp.vocab, lang=nlp.lang, **options):
                if len(doc) == 0 or len(doc) < self.min_length or (self.max_length and len(doc) > self.max_length):
                    continue
                yield doc
                n += 1
                if self.limit and n >= self.limit:
                    return


@registry.readers("nbnlp.JsonlCorpus.v1")
def create_raw_text_corpus(path: Optional[str], min_length: int = 0, max_length: int = 0, limit: int = 0) -> Callable[["Language"], Iterator[Doc]]:
    """Docs of raw text for pretraining: JSONL `{"text"}` / `{"tokens"}` records (or any corpus nbnlp.load_docs reads).

    Docs shorter than `min_length` or longer than `max_length` tokens are skipped; `limit` caps the
    number of docs per epoch (0 = off for all three).
    """
    return RawTextCorpus(path, min_length=min_length, max_length=max_length, limit=limit)


__all__ = ["RawTextCorpus", "create_raw_text_corpus"]
