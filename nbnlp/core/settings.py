"""The `[training]` and `[pretraining]` settings, declared once: types, limits, defaults and what each one affects.

Each section is a pydantic model (as thinc's registry validates a function's arguments against a
schema), so train, check, pretrain, debug-data and the loop read the same defaults and limits.
`check_section` turns pydantic's errors into our `ConfigProblem`s: every problem located as
`section.key`, with what was expected and what was given, and a "did you mean" for unknown keys.

Every setting also says what it affects: `MODEL` settings change the trained model or the data it
sees (a resumed run must refuse a config that changed them); `RUN` settings only steer the run
(when to evaluate or stop, how to log), so they may change between a run and its resumption.
Blocks (`[training.batcher]`, ...) are checked here only for being blocks; their registered
functions validate their own arguments when resolved (`training/blocks.py`).
"""
from __future__ import annotations

import copy
import difflib
from typing import Annotated, Any, ClassVar, Mapping, Optional, Type, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .config import ConfigProblem

MODEL = "model"  # changes the trained weights or the data they are trained on
RUN = "run"  # only steers the run: evaluation, stopping, logging, device memory

DEFAULT_OPTIMIZER = {"@optimizers": "Adam.v1", "learn_rate": 0.001}
_NOT_FILLED = object()

S = TypeVar("S", bound="SettingsSchema")


def setting(
    default: Any, expected: str, *, effect: str = MODEL, registry: Optional[str] = None, item_expected: Optional[str] = None,
    refused: Optional[Mapping[Any, str]] = None, fill: Any = _NOT_FILLED, **limits: Any,
) -> Any:
    """A field with the text shown when its value is wrong, what it affects and, for blocks, the registry they name.

    `refused` maps values that fit the type but are refused on purpose to their own message; `fill`
    is the value `%%nlp_config` writes into a checked config so the setting can be seen and edited
    (by default settings are not written).
    """
    extra = {"expected": expected, "effect": effect, "registry": registry, "item_expected": item_expected,
             "refused": dict(refused or {}), "fill": fill}
    if isinstance(default, (dict, list)):
        return Field(default_factory=lambda: copy.deepcopy(default), json_schema_extra=extra, **limits)  # type: ignore[arg-type]
    return Field(default, json_schema_extra=extra, **limits)  # type: ignore[arg-type]


def block(default: Optional[dict[str, Any]], registry: str, *, effect: str = MODEL, fill: bool = False) -> Any:
    """A `[section.key]` block naming a function of `registry` (`@registry = "name"` plus its arguments)."""
    return setting(default, f'a block with @{registry} = "..."', effect=effect, registry=registry,
                   fill=copy.deepcopy(default) if fill else _NOT_FILLED)


class SettingsSchema(BaseModel):
    """A config section's settings; subclasses name the section and declare one field per setting."""

    model_config = ConfigDict(extra="forbid", strict=True, arbitrary_types_allowed=True)
    section: ClassVar[str] = ""

    @classmethod
    def meta(cls, key: str) -> dict[str, Any]:
        extra = cls.model_fields[key].json_schema_extra
        return dict(extra) if isinstance(extra, dict) else {}

    @classmethod
    def default(cls, key: str) -> Any:
        """One setting's default (a fresh copy)."""
        return cls.model_fields[key].get_default(call_default_factory=True)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every setting's default (fresh copies of lists and dicts)."""
        return {key: cls.default(key) for key in cls.model_fields}

    @classmethod
    def filled(cls) -> dict[str, Any]:
        """The settings written into a checked config so they can be seen and edited, with their values."""
        out = {}
        for key in cls.model_fields:
            fill = cls.meta(key)["fill"]
            if fill is not _NOT_FILLED:
                out[key] = copy.deepcopy(fill)
        return out

    @classmethod
    def blocks(cls) -> dict[str, str]:
        """{key: registry} for the settings that are registered-function blocks."""
        return {key: cls.meta(key)["registry"] for key in cls.model_fields if cls.meta(key)["registry"]}

    @classmethod
    def keys_with(cls, effect: str) -> list[str]:
        """The settings with this effect (MODEL or RUN), in declaration order."""
        return [key for key in cls.model_fields if cls.meta(key)["effect"] == effect]

    @classmethod
    def check(cls: Type[S], values: Mapping[str, Any], problems: list[ConfigProblem]) -> S:
        """The section's settings with defaults filled in; every wrong setting is reported and replaced by its default."""
        values = dict(values or {})
        try:
            return cls.model_validate(values)
        except ValidationError as err:
            found, dropped = _problems(cls, values, err)
        problems.extend(found)
        for key, item in dropped:
            if item is None:
                values.pop(key, None)
            else:
                values[key] = {k: v for k, v in values[key].items() if k != item}
        return cls.model_validate(values)


def _problems(cls: Type[SettingsSchema], values: Mapping[str, Any], err: ValidationError) -> tuple[list[ConfigProblem], list[tuple[str, Any]]]:
    """pydantic's errors as ConfigProblems, and the (key, item) to drop so the rest validates (item None: the key)."""
    section = cls.section
    problems: list[ConfigProblem] = []
    dropped: list[tuple[str, Any]] = []
    for error in err.errors():
        loc = error["loc"]
        key = str(loc[0]) if loc else ""
        if key not in cls.model_fields:
            close = difflib.get_close_matches(key, list(cls.model_fields), n=1)
            hint = f"; did you mean '{section}.{close[0]}'?" if close else ""
            problems.append(ConfigProblem(f"{section}.{key}", f"unknown setting{hint}", given=values.get(key)))
            dropped.append((key, None))
            continue
        meta = cls.meta(key)
        given = values.get(key)
        if len(loc) > 1 and meta["item_expected"] and isinstance(given, dict):
            item = str(loc[1])
            problems.append(ConfigProblem(f"{section}.{key}.{item}", "wrong type", expected=meta["item_expected"], given=given.get(item)))
            dropped.append((key, item))
            continue
        if (key, None) in dropped:
            continue  # several errors inside one list: report the setting once
        refused = _refusal(meta["refused"], given)
        message = refused or ("missing value" if given is None else "wrong value")
        problems.append(ConfigProblem(f"{section}.{key}", message, expected=meta["expected"], given=given))
        dropped.append((key, None))
    return problems, dropped


def _refusal(refused: Mapping[Any, str], given: Any) -> Optional[str]:
    for value, message in refused.items():
        if type(value) is type(given) and value == given:
            return message
    return None


class TrainingSchema(SettingsSchema):
    """`[training]` (defaults follow spaCy's)."""

    section: ClassVar[str] = "training"

    seed: Optional[int] = setting(None, "an integer", fill=0)  # None: [system] seed
    # A number, or a `[training.dropout]` block naming a thinc schedule (its value at each step; training/augment.py).
    dropout: Union[Annotated[float, Field(ge=0, lt=1)], dict[str, Any]] = setting(
        0.1, 'a number from 0 to below 1, or a block with @schedules = "..."', fill=0.1)
    accumulate_gradient: int = setting(1, "an integer of 1 or more", ge=1, fill=1)
    patience: int = setting(1600, "an integer of 0 (off) or more", effect=RUN, ge=0, fill=1600)
    max_epochs: int = setting(0, "an integer of 0 (no limit) or more", effect=RUN, ge=0, fill=0,
                              refused={-1: "streaming the corpus (-1) is not supported"})
    max_steps: int = setting(20000, "an integer of 0 (no limit) or more", effect=RUN, ge=0, fill=20000)
    eval_frequency: int = setting(200, "an integer of 1 or more", effect=RUN, ge=1, fill=200)
    checkpoint_frequency: Optional[int] = setting(None, "null (at every evaluation) or an integer of 1 or more (steps)", effect=RUN, ge=1)
    frozen_components: list[str] = setting([], "a list of component names", fill=[])
    # Each epoch's examples are shuffled through a buffer of this many documents (training/shuffle.py): a corpus
    # of at most this many is shuffled whole, as a list; a larger one is streamed with memory bounded by the buffer.
    shuffle_buffer: int = setting(20000, "an integer of 1 or more (documents)", ge=1, fill=20000)
    # Components that set their predictions on the training examples as they train, for the components after them.
    annotating_components: list[str] = setting([], "a list of component names", fill=[])
    train_corpus: str = setting("corpora.train", "a dotted section name like 'corpora.train'", min_length=1)
    dev_corpus: str = setting("corpora.dev", "a dotted section name like 'corpora.dev'", min_length=1)
    score_weights: dict[str, Optional[float]] = setting({}, "a section of score names and weights", item_expected="a number or null")
    gpu_allocator: Optional[str] = setting(None, '"pytorch", "tensorflow" or null', effect=RUN)
    batcher: Any = block({"@batchers": "nbnlp.batch_by_words.v1", "size": 1000, "tolerance": 0.2, "discard_oversize": False}, "batchers", fill=True)
    optimizer: Any = block(DEFAULT_OPTIMIZER, "optimizers", fill=True)
    logger: Any = block({"@loggers": "nbnlp.ConsoleLogger.v1", "progress_bar": False}, "loggers", effect=RUN)
    before_update: Any = block(None, "callbacks")
    before_to_disk: Any = block(None, "callbacks")


class PretrainingSchema(SettingsSchema):
    """`[pretraining]`: what `nbnlp pretrain` trains, on which corpus, with which objective."""

    section: ClassVar[str] = "pretraining"

    max_epochs: int = setting(1000, "an integer of 1 or more", effect=RUN, ge=1)
    # A number, or a `[pretraining.dropout]` block naming a thinc schedule (its value at each batch, counted over
    # every epoch, so `--epoch-resume` goes on with the rates an uninterrupted run gets; training/dropout.py).
    dropout: Union[Annotated[float, Field(ge=0, lt=1)], dict[str, Any]] = setting(
        0.2, 'a number from 0 to below 1, or a block with @schedules = "..."')
    n_save_every: Optional[int] = setting(None, "null or an integer of 1 or more (batches between saves)", effect=RUN, ge=1)
    component: str = setting("tok2vec", "a component name", min_length=1)
    corpus: str = setting("corpora.pretrain", "a dotted section name like 'corpora.pretrain'", min_length=1)
    batcher: Any = block({"@batchers": "nbnlp.batch_by_words.v1", "size": 3000, "tolerance": 0.2, "discard_oversize": False}, "batchers")
    objective: Any = block({"@architectures": "nbnlp.PretrainCharacters.v1", "n_characters": 4, "hidden_size": 300,
                            "maxout_pieces": 3, "mask_probability": 0.15}, "architectures")
    optimizer: Any = block(DEFAULT_OPTIMIZER, "optimizers")


SCHEMAS: dict[str, Type[SettingsSchema]] = {schema.section: schema for schema in (TrainingSchema, PretrainingSchema)}


# Arguments of a `[corpora.*]` reader that only steer memory and speed, never which examples it yields.
READER_RUN_ARGUMENTS = frozenset({"cache_words"})


def setting_effect(dotted: str) -> Optional[str]:
    """MODEL or RUN for a `section.key` (or a setting inside a block, e.g. `training.logger.path`); None when the
    setting belongs to no schema here (components, corpora... all change the model or its data), but RUN for a
    reader's `READER_RUN_ARGUMENTS` (`corpora.train.cache_words`)."""
    section, _, rest = dotted.partition(".")
    if section == "corpora" and rest.count(".") == 1 and rest.rpartition(".")[2] in READER_RUN_ARGUMENTS:
        return RUN
    schema = SCHEMAS.get(section)
    key = rest.split(".", 1)[0]
    if schema is None or key not in schema.model_fields:
        return None
    return str(schema.meta(key)["effect"])


def steers_run(dotted: str) -> bool:
    """Whether changing this setting only steers the run (a resumed run may differ in it)."""
    return setting_effect(dotted) == RUN


__all__ = [
    "DEFAULT_OPTIMIZER", "MODEL", "PretrainingSchema", "READER_RUN_ARGUMENTS", "RUN", "SCHEMAS", "SettingsSchema", "TrainingSchema", "setting_effect",
    "steers_run",
]
