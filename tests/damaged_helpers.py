"""Damaged inputs for the bad-input matrix (tests/test_damaged_inputs.py): for each role a command reads (a corpus,
a config, a pipeline folder, weights...) one input per kind of damage, and the file its error must name."""
from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import nbnlp
from nbnlp.core.commands.init_config import demo_config, init_config
from nbnlp.data import demo_path

KINDS = ("missing", "empty", "truncated", "binary", "wrong")
GARBAGE = random.Random(13).randbytes(4096)  # NUL bytes and invalid UTF-8, as in any binary file
assert GARBAGE.count(0) > 0


@dataclass(frozen=True)
class Bad:
    """A damaged input: what to pass on the command line, and the file (or folder) the error must name."""

    arg: Path
    named: Path


class Inputs:
    """The damaged inputs of every role, made once in `root` from a small trained `pipeline`."""

    def __init__(self, root: Path, pipeline: Path) -> None:
        self.root = root
        self.pipeline = pipeline
        self.config = self._write("good/config.cfg", demo_config().encode())
        pre = init_config(pipeline=["tagger"], train_path=str(demo_path("ewt-train")), dev_path=str(demo_path("ewt-dev")), pretraining=True)
        self.pretrain_config = self._write("good/pretrain.cfg", pre.replace("raw_text = null", f'raw_text = "{demo_path("sms-dev")}"').encode())
        self.corpus_folder = root / "good/corpus-folder"
        self.corpus_folder.mkdir(parents=True)
        shutil.copy(demo_path("ewt-dev"), self.corpus_folder / "dev.conllu")
        self.nbnlp_corpus = root / "good/dev.nbnlp"
        nbnlp.save_docs(nbnlp.load_docs(demo_path("ewt-dev")), self.nbnlp_corpus)

    def _write(self, name: str, data: bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def file(self, role: str, kind: str, good: bytes, suffix: str, wrong: Path) -> Bad:
        """A file input: missing, empty, cut in the middle, random bytes, or a file of another kind."""
        name = f"{role}/{kind}{suffix}"
        if kind == "missing":
            return Bad(self.root / name, self.root / name)
        if kind == "wrong":
            return Bad(wrong, wrong)
        cut = len(good) // 2
        if suffix == ".cfg":  # cut inside the components: a config cut between sections is a partial config, filled with defaults
            cut = good.index(b"[components.") + 20
        data = {"empty": b"", "truncated": good[:cut], "binary": GARBAGE}[kind]
        path = self._write(name, data)
        return Bad(path, path)

    def pipeline_copy(self, name: str, damage: str, kind: str) -> Bad:
        """A copy of the pipeline with the file `damage` (relative to the folder) deleted, emptied, cut or garbled."""
        folder = self.root / "pipelines" / name
        if not folder.exists():
            shutil.copytree(self.pipeline, folder)
            target = folder / damage
            if kind == "missing":
                target.unlink()
            else:
                data = target.read_bytes()
                cut = len(data) // 2
                if damage == "config.cfg":  # cut inside the components (a cut in [training] alone leaves a usable pipeline)
                    cut = data.index(b"[components.") + 20
                target.write_bytes({"empty": b"", "truncated": data[:cut], "binary": GARBAGE}[kind])
        return Bad(folder, folder / damage)

    def model(self, kind: str, damage: str = "tagger/model") -> Bad:
        """A pipeline folder: missing, an empty folder, weights (or `damage`) cut short or garbled, or a corpus folder."""
        if kind == "missing":
            return Bad(self.root / "no-pipeline", self.root / "no-pipeline")
        if kind == "empty":
            folder = self.root / "empty-pipeline"
            folder.mkdir(exist_ok=True)
            return Bad(folder, folder)
        if kind == "wrong":
            return Bad(self.corpus_folder, self.corpus_folder)
        return self.pipeline_copy(f"{damage.replace('/', '-')}-{kind}", damage, kind)

    def corpus(self, kind: str) -> Bad:
        return self.file("corpus", kind, demo_path("ewt-dev").read_bytes(), ".conllu", wrong=self.config)

    def binary_corpus(self, kind: str) -> Bad:
        return self.file("nbnlp", kind, self.nbnlp_corpus.read_bytes(), ".nbnlp", wrong=self.pipeline / "tagger" / "model")

    def raw_text(self, kind: str) -> Bad:
        return self.file("raw", kind, demo_path("sms-dev").read_bytes(), ".jsonl", wrong=self.config)

    def config_file(self, kind: str, *, pretraining: bool = False) -> Bad:
        good = (self.pretrain_config if pretraining else self.config).read_bytes()
        return self.file("pretrain-config" if pretraining else "config", kind, good, ".cfg", wrong=self.pipeline)

    def vectors(self, kind: str) -> Bad:
        good = b"4 3\nthe 0.1 0.2 0.3\ncat 0.4 0.5 0.6\nsat 0.7 0.8 0.9\nmat 1.0 1.1 1.2\n"
        return self.file("vectors", kind, good, ".txt", wrong=demo_path("ewt-dev"))

    def weights(self, kind: str) -> Bad:
        """tok2vec weights (init_tok2vec, pretrain's modelN.bin); the wrong kind is the tagger's weights."""
        good = (self.pipeline / "tok2vec" / "model").read_bytes()
        return self.file("weights", kind, good, ".bin", wrong=self.pipeline / "tagger" / "model")

    def meta_json(self, kind: str) -> Bad:
        return self.file("meta", kind, json.dumps({"license": "MIT", "description": "a test"}).encode(), ".json", wrong=demo_path("ewt-dev"))


def tree(folder: Path) -> list[str]:
    """Every path below `folder` (to see that a failed command wrote nothing)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


Cell = Callable[[Inputs, str, Path], tuple[list[str], Bad, Optional[Path]]]
