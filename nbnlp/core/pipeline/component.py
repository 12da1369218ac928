"""The component protocol every pipeline step follows (tok2vec, tagger, and later parser, NER, textcat).

A trainable component owns a thinc model and implements `predict` (docs -> scores, one forward
pass per batch), `set_annotations` (scores -> doc columns), `get_loss` (examples + scores ->
loss and gradient), `initialize` (labels from data, model shapes) and `score`. `update` and
serialisation are written once here on top of those.
"""
from __future__ import annotations

import abc
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
import srsly
from thinc.api import Model, Optimizer, set_dropout_rate
from ..util import minibatch

from ..damaged import damaged_if_fails, read_json_file
from ..doc import Doc
from ..example import Example
from ..weights import load_model_file


def label_indices(ids: np.ndarray, label_ids: np.ndarray) -> np.ndarray:
    """String ids -> index of that label in `label_ids`; -1 where missing or not a label (new data may have new ones)."""
    if not len(label_ids):
        return np.full(ids.shape, -1, dtype=np.int64)
    order = np.argsort(label_ids)
    sorted_ids = label_ids[order]
    pos = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
    return np.where(sorted_ids[pos] == ids, order[pos], -1)


class Component:
    """A pipeline step without weights: `__call__` / `pipe` annotate docs."""

    name: str = ""
    is_trainable: bool = False

    def __call__(self, doc: Doc) -> Doc:
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        for doc in docs:
            yield self(doc)

    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp: Any = None) -> None:
        """Prepare from data (labels, shapes); the default needs nothing."""

    def score(self, examples: Sequence[Example], **kwargs: Any) -> dict[str, Any]:
        return {}

    def to_disk(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "cfg.json", self.get_cfg())

    def from_disk(self, path: Path) -> "Component":
        """Read back `cfg.json`; a missing or damaged file is a DamagedFileError naming it."""
        cfg_path = path / "cfg.json"
        cfg = read_json_file(cfg_path, what=f"the {self.name!r} component's settings file", expect=dict)
        with damaged_if_fails(cfg_path, f"the {self.name!r} component's settings file does not fit it"):
            self.set_cfg(cfg)
        return self

    def get_cfg(self) -> dict[str, Any]:
        """State learned from data (labels, ...) that is not in the config."""
        return {}

    def set_cfg(self, cfg: dict[str, Any]) -> None:
        pass


class TrainableComponent(Component, abc.ABC):
    """A component with a thinc model; subclasses implement predict/set_annotations/get_loss/initialize."""

    is_trainable = True
    kind = "component"  # the factory's name, used in messages

    def __init__(self, nlp: Any, name: str, model: Model) -> None:
        self.vocab = nlp.vocab
        self.name = name
        self.model = model
        self._labels: list[str] = []

    # ----- labels -------------------------------------------------------------------------
    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self._labels)

    def add_label(self, label: str) -> int:
        """Add a label before the model is initialised (the output size follows the labels); 1 if new."""
        if not isinstance(label, str) or not label:
            raise ValueError(f"{self.kind} {self.name!r}: labels must be non-empty strings, got {label!r}")
        if label in self._labels:
            return 0
        if self.is_initialized():
            raise ValueError(f"{self.kind} {self.name!r}: cannot add label {label!r} after the model is initialised")
        self._set_labels([*self._labels, label])
        return 1

    # The model's ref to its output layer (one output per `_n_outputs()`), for components sized that way.
    output_layer_ref: str | None = None

    def is_initialized(self) -> bool:
        """Whether the output weights exist; from then on the labels are fixed."""
        return self.output_layer_ref is not None and self.model.get_ref(self.output_layer_ref).has_param("W")

    def _set_labels(self, labels: Sequence[str]) -> None:
        self._labels = list(labels)

    def _n_outputs(self) -> int:
        return len(self._labels)

    def _set_nO(self) -> None:
        """Size the output layer from the labels (components without an `output_layer_ref` override this)."""
        if self.output_layer_ref is not None:
            self._set_output_width(self.model.get_ref(self.output_layer_ref), self._n_outputs())

    def _initialize_model(self, labels: Sequence[str], sample: list[Doc]) -> None:
        """Fix the labels, size the output layer and create the weights; listeners stand in for their upstream."""
        from ..models.listener import listener_placeholders

        self._set_labels(labels)
        self._set_nO()
        with listener_placeholders(self.model):
            self.model.initialize(X=sample or None)

    def get_cfg(self) -> dict[str, Any]:
        return {"labels": list(self._labels)}

    def set_cfg(self, cfg: dict[str, Any]) -> None:
        self._set_labels(cfg.get("labels", []))

    def output_names(self) -> list[str]:
        """The model's outputs in order (one per label here; NER has BILUO tags): growing keeps rows by name."""
        return list(self._labels)

    def output_params(self) -> list[tuple[Model, str, int]]:
        """(layer, weight name, axis) of every weight with one entry per output, for `resize.add_labels`."""
        if self.output_layer_ref is None:
            return []
        layer = self.model.get_ref(self.output_layer_ref)
        return [(layer, "W", 0), (layer, "b", 0)]

    def _set_output_width(self, layer: Model, n: int) -> None:
        """Give `layer` n outputs (one per label); an initialised layer of another size is an error."""
        if layer.has_dim("nO") and layer.get_dim("nO") != n:
            if self.is_initialized():
                raise ValueError(f"{self.kind} {self.name!r}: the model has {layer.get_dim('nO')} outputs but {n} are needed")
            layer.set_dim("nO", n, force=True)
        elif not layer.has_dim("nO"):
            layer.set_dim("nO", n)

    # ----- inference ----------------------------------------------------------------------
    @abc.abstractmethod
    def predict(self, docs: Sequence[Doc]) -> Any:
        """Scores for a batch of docs: one forward pass."""

    @abc.abstractmethod
    def set_annotations(self, docs: Sequence[Doc], scores: Any) -> None:
        """Write the predictions into the docs' columns."""

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations([doc], self.predict([doc]))
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size):
            batch = list(batch)
            self.set_annotations(batch, self.predict(batch))
            yield from batch

    # ----- training -----------------------------------------------------------------------
    @abc.abstractmethod
    def get_loss(self, examples: Sequence[Example], scores: Any) -> tuple[float, Any]:
        """Loss and gradient of the scores against the examples' references."""

    def update(
        self,
        examples: Sequence[Example],
        *,
        drop: float = 0.0,
        sgd: Optimizer | None = None,
        losses: dict[str, float] | None = None,
    ) -> dict[str, float]:
        """One gradient computation over a batch; the weights change in `finish_update` (now, if `sgd` is given)."""
        losses = {} if losses is None else losses
        losses.setdefault(self.name, 0.0)
        docs = [eg.predicted for eg in examples]
        if not any(len(d) for d in docs):
            return losses
        set_dropout_rate(self.model, drop)
        scores, backprop = self.model.begin_update(self._model_input(examples, docs))
        loss, d_scores = self.get_loss(examples, scores)
        backprop(d_scores)
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += float(loss)
        return losses

    def _model_input(self, examples: Sequence[Example], docs: list[Doc]) -> Any:
        """What the model sees in training (the docs; a parser adds the gold heads for teacher forcing)."""
        return docs

    def finish_update(self, sgd: Optimizer) -> None:
        """Apply the accumulated gradients."""
        self.model.finish_update(sgd)

    def backprop_pending(self) -> bool:
        """Complete the gradients of this batch without applying them (data-parallel workers send them instead);
        whether there are gradients to apply. `update` backpropagates at once here; a tok2vec waits for its listeners."""
        return True

    # ----- serialisation ------------------------------------------------------------------
    def to_disk(self, path: Path) -> None:
        super().to_disk(path)
        (path / "model").write_bytes(self.model.to_bytes())

    def from_disk(self, path: Path) -> "TrainableComponent":
        """Read back cfg.json and the weights; a missing, cut-short or foreign weights file is a DamagedFileError."""
        super().from_disk(path)
        self.prepare_model_for_load()
        load_model_file(self.model, path / "model", what=f"the {self.name!r} component's weights file")
        return self

    def prepare_model_for_load(self) -> None:
        """Set the dimensions learned from data (the number of labels) before weights are loaded."""
        if self._labels:
            self._set_nO()
