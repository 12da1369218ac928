"""The `tok2vec` component: one shared token-to-vector model feeding the components after it.

It runs its model once per batch; at inference it leaves the vectors in `doc.tensor`, in
training it broadcasts them to the listener layers of later components (`find_listeners`),
sums the gradients they send back, and backpropagates the sum once in `finish_update`.
"""
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from thinc.api import Model, Optimizer, set_dropout_rate
from thinc.types import Floats2d

from ..doc import Doc
from ..example import Example
from ..models.listener import batch_id, find_listener_layers, receive
from ..pipeline.component import TrainableComponent
from ..pipeline.factory import factory

DEFAULT_TOK2VEC_MODEL: Dict[str, Any] = {
    "@architectures": "nbnlp.Tok2Vec.v1",
    "embed": {
        "@architectures": "nbnlp.HashEmbed.v1",
        "width": 96,
        "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
        "rows": [5000, 1000, 2500, 2500],
    },
    "encode": {
        "@architectures": "nbnlp.MaxoutWindowEncoder.v2",
        "width": 96,
        "depth": 4,
        "window_size": 1,
        "maxout_pieces": 3,
    },
}

N_INIT_EXAMPLES = 10


class Tok2Vec(TrainableComponent):
    """Shared token vectors: `doc.tensor` at inference, broadcast to listeners in training."""

    reports_loss = False  # its loss is the listeners' squared gradient norm: kept in the history, not a table column

    def __init__(self, nlp: Any, name: str, model: Model) -> None:
        super().__init__(nlp, name, model)
        self.listeners: List[Model] = []
        # Backprop callbacks and summed gradients of the batches updated since the last finish_update.
        self._pending: List[Dict[str, Any]] = []

    # ----- listeners ----------------------------------------------------------------------
    def find_listeners(self, components: Sequence[Any]) -> None:
        """Claim the listener layers of `components` (those after this one) that name it or "*"."""
        self.listeners = []
        for component in components:
            model = getattr(component, "model", None)
            if not isinstance(model, Model):
                continue
            for layer in find_listener_layers(model):
                if layer.attrs["upstream"] in ("*", self.name):
                    layer.attrs["inbox"].owner = id(self)  # a later tok2vec claiming it takes over
                    self.listeners.append(layer)

    def _active_listeners(self) -> List[Model]:
        return [layer for layer in self.listeners if layer.attrs["inbox"].owner == id(self)]

    # ----- inference ----------------------------------------------------------------------
    def predict(self, docs: Sequence[Doc]) -> List[Floats2d]:
        docs = list(docs)
        if not any(len(doc) for doc in docs):
            width = self.model.get_dim("nO")
            return [self.model.ops.alloc2f(len(doc), width) for doc in docs]
        return self.model.predict(docs)

    def set_annotations(self, docs: Sequence[Doc], outputs: List[Floats2d]) -> None:
        for doc, vectors in zip(docs, outputs):
            doc.tensor = vectors

    # ----- training -----------------------------------------------------------------------
    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp: Any = None) -> None:
        docs = []
        for eg in get_examples():
            if len(eg.predicted):
                docs.append(eg.predicted)
            if len(docs) >= N_INIT_EXAMPLES:
                break
        if docs:
            self.model.initialize(X=docs)
        else:
            self.model.initialize()

    def update(
        self,
        examples: Sequence[Example],
        *,
        drop: float = 0.0,
        sgd: Optional[Optimizer] = None,
        losses: Optional[Dict[str, float]] = None,
    ) -> Dict[str, float]:
        """Run the model once and broadcast its output; the gradient is applied in `finish_update`."""
        losses = {} if losses is None else losses
        listeners = self._active_listeners()
        docs = [eg.predicted for eg in examples]
        if not listeners or not any(len(doc) for doc in docs):
            return losses
        losses.setdefault(self.name, 0.0)
        set_dropout_rate(self.model, drop)
        outputs, backprop = self.model.begin_update(docs)
        pending: Dict[str, Any] = {"backprop": backprop, "grads": None}

        def accumulate(d_outputs: List[Floats2d]) -> None:
            """Sum one listener's gradient into the batch gradient; the squared norm is the reported loss."""
            if pending["grads"] is None:
                pending["grads"] = [d.copy() for d in d_outputs]
            else:
                for total, d in zip(pending["grads"], d_outputs):
                    total += d
            losses[self.name] += float(sum((d * d).sum() for d in d_outputs))

        batch = batch_id(docs)
        for listener in listeners:
            receive(listener, batch, outputs, accumulate)
        self._pending.append(pending)
        if sgd is not None:
            self.finish_update(sgd)
        return losses

    def get_loss(self, examples: Sequence[Example], scores: List[Floats2d]) -> Tuple[float, List[Floats2d]]:
        """No objective of its own: the gradient comes from the listeners (see `update`)."""
        return 0.0, [self.model.ops.alloc2f(*s.shape) for s in scores]

    def finish_update(self, sgd: Optimizer) -> None:
        """Backpropagate the summed listener gradients (once per batch), then step the optimizer."""
        if self.backprop_pending():
            self.model.finish_update(sgd)

    def backprop_pending(self) -> bool:
        """Backpropagate the listeners' gradients into the weights' gradients, without stepping; False if none came."""
        pending, self._pending = self._pending, []
        for layer in self.listeners:
            layer.attrs["inbox"].clear()
        stepped = False
        for item in pending:
            if item["grads"] is not None:
                item["backprop"](item["grads"])
                stepped = True
        return stepped


@factory("tok2vec", default_config={"model": DEFAULT_TOK2VEC_MODEL})
def make_tok2vec(nlp: Any, name: str, model: Model) -> Tok2Vec:
    """A shared token-to-vector layer for the components after it."""
    return Tok2Vec(nlp, name, model)


__all__ = ["Tok2Vec", "DEFAULT_TOK2VEC_MODEL", "make_tok2vec"]
