"""`nbnlp.Tok2VecListener.v1`: a stand-in for a component's own tok2vec that uses a shared one.

A shared `tok2vec` component runs its model once per batch and hands the output to every
listener after it (`receive`); each listener returns that output to its component and sends
the gradient back, where the gradients of all listeners are summed and backpropagated once.
Outside training the listener reads `doc.tensor`, which the tok2vec component sets.
"""
import contextlib
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple

from thinc.api import Model
from thinc.model import serialize_attr
from thinc.types import Floats2d

from ..doc import Doc
from ..registry import registry

LISTENER_NAME = "tok2vec_listener"

BatchId = Tuple[int, ...]
Accumulate = Callable[[List[Floats2d]], None]


class Inbox:
    """What the upstream component broadcast for the current batch (runtime state: never saved or copied)."""

    __slots__ = ("batch_id", "outputs", "accumulate", "owner", "placeholder")

    def __init__(self) -> None:
        self.batch_id: Optional[BatchId] = None
        self.outputs: Optional[List[Floats2d]] = None
        self.accumulate: Optional[Accumulate] = None
        self.owner: Optional[int] = None  # id() of the tok2vec component feeding this listener
        self.placeholder = False  # return zeros (shape inference before any tok2vec output exists)

    def clear(self) -> None:
        self.batch_id, self.outputs, self.accumulate = None, None, None

    def __deepcopy__(self, memo: Any) -> "Inbox":
        return Inbox()


@serialize_attr.register(Inbox)
def _skip_inbox(_: Any, value: Any, name: str, model: Model) -> bytes:
    raise TypeError("runtime state is not serialised")  # thinc skips attrs whose serialiser raises TypeError


@registry.architectures("nbnlp.Tok2VecListener.v1")
def Tok2VecListener(width: int, upstream: str = "*") -> Model[List[Doc], List[Floats2d]]:
    """Docs -> the (n_tokens, width) vectors of the upstream tok2vec component named `upstream` ("*" = any)."""
    if width < 1:
        raise ValueError(f"Tok2VecListener: width must be at least 1, got {width}")
    return Model(LISTENER_NAME, forward, dims={"nO": width}, attrs={"upstream": upstream, "inbox": Inbox()})


def forward(model: Model[List[Doc], List[Floats2d]], docs: List[Doc], is_train: bool) -> Tuple[List[Floats2d], Callable]:
    inbox: Inbox = model.attrs["inbox"]
    width = model.get_dim("nO")
    if inbox.placeholder:
        return [model.ops.alloc2f(len(doc), width) for doc in docs], _no_gradient
    if inbox.batch_id is not None and inbox.batch_id == batch_id(docs):
        accumulate = inbox.accumulate

        def backprop(d_outputs: List[Floats2d]) -> List[Doc]:
            if accumulate is not None:
                accumulate(d_outputs)
            return []

        return inbox.outputs, backprop  # type: ignore[return-value]
    if is_train and inbox.batch_id is not None:
        raise ValueError(
            f"Tok2VecListener (upstream {model.attrs['upstream']!r}): the shared tok2vec broadcast outputs for a "
            "different batch than this component is training on; every trainable component must be updated "
            "with the same examples in the same nlp.update call"
        )
    return _from_tensors(model, docs, width), _no_gradient


def _from_tensors(model: Model, docs: Sequence[Doc], width: int) -> List[Floats2d]:
    """The vectors the upstream component left on the docs (inference, or a frozen upstream)."""
    outputs = []
    for doc in docs:
        tensor = doc.tensor
        if tensor is None:
            if len(doc) == 0:
                outputs.append(model.ops.alloc2f(0, width))
                continue
            raise ValueError(
                f"Tok2VecListener (upstream {model.attrs['upstream']!r}): no token vectors for {doc.text[:40]!r}. "
                "The shared tok2vec component must run before this component: add it earlier in the pipeline "
                "and do not disable it"
            )
        if tensor.ndim != 2 or tensor.shape != (len(doc), width):
            raise ValueError(
                f"Tok2VecListener: doc.tensor has shape {tuple(tensor.shape)}, expected ({len(doc)}, {width}); "
                "the listener's width must match the upstream tok2vec width"
            )
        outputs.append(model.ops.asarray2f(tensor))
    return outputs


def _no_gradient(d_outputs: List[Floats2d]) -> List[Doc]:
    return []


# ----- helpers for the tok2vec component and the components that listen -----------------------
def batch_id(docs: Sequence[Doc]) -> BatchId:
    """Identity of a batch: the same Doc objects in the same order."""
    return tuple(id(doc) for doc in docs)


def is_listener(node: Model) -> bool:
    return node.name == LISTENER_NAME and isinstance(node.attrs.get("inbox"), Inbox)


def find_listener_layers(model: Model) -> List[Model]:
    return [node for node in model.walk() if is_listener(node)]


def receive(listener: Model, batch: BatchId, outputs: List[Floats2d], accumulate: Accumulate) -> None:
    """Hand a batch's tok2vec outputs and the gradient callback to one listener."""
    width = listener.get_dim("nO")
    if outputs and outputs[0].shape[1] != width:
        raise ValueError(
            f"Tok2VecListener has width {width} but the upstream tok2vec outputs width {outputs[0].shape[1]}; "
            "set the listener's width to the tok2vec width"
        )
    inbox: Inbox = listener.attrs["inbox"]
    inbox.batch_id, inbox.outputs, inbox.accumulate = batch, outputs, accumulate


@contextlib.contextmanager
def listener_placeholders(model: Model) -> Iterator[None]:
    """Within the block the model's listeners output zeros: lets `model.initialize(X=docs)` infer
    shapes before the upstream component has produced anything for those docs."""
    inboxes = [node.attrs["inbox"] for node in find_listener_layers(model)]
    for inbox in inboxes:
        inbox.placeholder = True
    try:
        yield
    finally:
        for inbox in inboxes:
            inbox.placeholder = False


__all__ = [
    "Tok2VecListener", "Inbox", "batch_id", "is_listener", "find_listener_layers", "receive",
    "listener_placeholders", "LISTENER_NAME",
]
