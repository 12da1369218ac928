"""`Vectors`: a table of static word vectors, keyed by string, as `vocab.vectors`.

Keys are looked up by their stable 64-bit string hash (the same hash the string store keeps per
id), so the rows of a whole batch are found with one sorted search over the token hashes, with
no Python per token. Several keys may share a row (after pruning, a rare word points at the row
of its nearest frequent word). Saved as `data.npy` (float32, no pickle) plus `keys.msgpack`.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import srsly

from .config import ConfigError, ConfigProblem
from .damaged import damaged_if_fails, read_bytes_checked, read_msgpack_file
from .strings import hash_string

KEY_ATTRS = ("ORTH", "LOWER", "NORM")
DATA_FILE = "data.npy"
KEYS_FILE = "keys.msgpack"


class Vectors:
    """A float32 (n_rows, width) matrix and the words (keys) that map to its rows."""

    def __init__(
        self,
        data: np.ndarray | None = None,
        keys: Sequence[str] = (),
        rows: Sequence[int] | np.ndarray | None = None,
        *,
        name: str = "",
    ) -> None:
        self.data = np.zeros((0, 0), dtype=np.float32) if data is None else np.ascontiguousarray(data, dtype=np.float32)
        if self.data.ndim != 2:
            raise ValueError(f"Vectors: data must be a 2-d array, got shape {self.data.shape}")
        self.name = name
        self._keys: list[str] = []
        self._key_rows = np.zeros((0,), dtype=np.int64)
        self._sorted_hashes = np.zeros((0,), dtype=np.uint64)
        self._sorted_rows = np.zeros((0,), dtype=np.int64)
        self._device: dict[int, Any] = {}
        self.set_keys(keys, range(len(keys)) if rows is None else rows)

    # ----- keys ---------------------------------------------------------------------------
    def set_keys(self, keys: Sequence[str], rows: Iterable[int]) -> None:
        """Map each key to a row; a key given twice keeps its first row (word2vec files repeat some words)."""
        keys = list(keys)
        rows = np.asarray(list(rows), dtype=np.int64)
        if len(rows) != len(keys):
            raise ValueError(f"Vectors: {len(keys)} keys but {len(rows)} row numbers")
        if len(rows) and (rows.min() < 0 or rows.max() >= len(self.data)):
            raise ValueError(f"Vectors: row numbers must be in 0..{len(self.data) - 1}")
        hashes = np.fromiter((hash_string(k) for k in keys), dtype=np.uint64, count=len(keys))
        _, first = np.unique(hashes, return_index=True)
        first.sort()
        self._keys = [keys[i] for i in first.tolist()]
        self._key_rows = rows[first]
        order = np.argsort(hashes[first], kind="stable")
        self._sorted_hashes = hashes[first][order]
        self._sorted_rows = self._key_rows[order]

    @property
    def keys(self) -> list[str]:
        """The keys, in the order they were added (for a file: its order, most frequent first)."""
        return list(self._keys)

    @property
    def key_rows(self) -> np.ndarray:
        """The row of each key, aligned with `keys`."""
        return self._key_rows.copy()

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.data.shape[0]), int(self.data.shape[1]))

    @property
    def width(self) -> int:
        return self.shape[1]

    @property
    def n_keys(self) -> int:
        return len(self._keys)

    def __len__(self) -> int:
        return self.shape[0]

    def __bool__(self) -> bool:
        return self.shape[0] > 0 and self.shape[1] > 0

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.find_row(key) >= 0

    def __getitem__(self, key: str) -> np.ndarray:
        row = self.find_row(key)
        if row < 0:
            raise KeyError(f"No vector for {key!r}")
        return self.data[row]

    def __repr__(self) -> str:
        return f"<Vectors {self.name or 'unnamed'}: {self.n_keys} keys, {self.shape[0]} rows x {self.shape[1]} dims>"

    def find_row(self, key: str) -> int:
        """The row of one key, or -1."""
        return int(self.find_rows(np.array([hash_string(key)], dtype=np.uint64))[0])

    def find_rows(self, hashes: np.ndarray) -> np.ndarray:
        """Rows for an array of string hashes (int64, -1 where a hash is not a key): one sorted search."""
        hashes = np.asarray(hashes, dtype=np.uint64)
        if not len(self._sorted_hashes):
            return np.full(hashes.shape, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self._sorted_hashes, hashes), len(self._sorted_hashes) - 1)
        return np.where(self._sorted_hashes[pos] == hashes, self._sorted_rows[pos], -1)

    def rows_for(self, vocab: Any, orth: np.ndarray, key_attr: str = "ORTH") -> np.ndarray:
        """Rows of tokens given by their string ids, looked up by `key_attr` (ORTH, LOWER or NORM)."""
        ids = np.asarray(orth, dtype=np.int64)
        attr = check_key_attr(key_attr)
        if attr != "ORTH":
            ids = vocab.attr(attr.lower())[ids]
        hashes = vocab.strings.hashes  # read after attr(): computing attributes may add strings
        return self.find_rows(hashes[ids])

    def on_device(self, ops: Any) -> Any:
        """The data as an array of `ops` (copied to the device once, then cached)."""
        key = id(ops.xp)
        if key not in self._device:
            self._device[key] = ops.asarray2f(self.data)
        return self._device[key]

    # ----- serialisation ------------------------------------------------------------------
    def to_disk(self, path: str | Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        with open(path / DATA_FILE, "wb") as f:
            np.save(f, self.data, allow_pickle=False)
        srsly.write_msgpack(path / KEYS_FILE, {"name": self.name, "keys": self._keys, "rows": self._key_rows.tolist()})

    @classmethod
    def from_disk(cls, path: str | Path) -> "Vectors":
        """Read a table saved by `to_disk`; a missing, cut-short or garbled file is a DamagedFileError naming it."""
        path = Path(path)
        fix = "Save the pipeline again, or make the table again with nbnlp init-vectors"
        raw = read_bytes_checked(path / DATA_FILE, what="the vectors table's data", fix=fix)
        with damaged_if_fails(path / DATA_FILE, "the vectors table's data is cut short or not a .npy array", fix):
            data = np.load(io.BytesIO(raw), allow_pickle=False)
            if data.ndim != 2:
                raise ValueError(f"a {data.ndim}-d array, expected rows x width")
        meta = read_msgpack_file(path / KEYS_FILE, what="the vectors table's keys", fix=fix, expect=dict)
        with damaged_if_fails(path / KEYS_FILE, f"the vectors table's keys do not fit its {len(data)} rows", fix):
            return cls(data, meta["keys"], meta["rows"], name=meta.get("name", ""))

    def info(self) -> dict[str, Any]:
        """What meta.json says about the table."""
        return {"name": self.name, "keys": self.n_keys, "rows": self.shape[0], "width": self.shape[1]}


def check_key_attr(key_attr: str) -> str:
    attr = str(key_attr).upper()
    if attr not in KEY_ATTRS:
        raise ValueError(f"Vectors are looked up by {', '.join(KEY_ATTRS)}; got key_attr={key_attr!r}")
    return attr


def has_vectors_dir(path: str | Path) -> bool:
    """Whether `path` is a pipeline folder holding a vectors table (as `nbnlp init-vectors` writes; its files are
    checked when read, so a damaged table is an error rather than no table)."""
    return (Path(path) / "vectors").is_dir()


def load_vectors(path: str | Path) -> Vectors:
    """The vectors table of a pipeline folder (or of a bare table folder)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No such folder: {path}")
    if has_vectors_dir(path):
        return Vectors.from_disk(path / "vectors")
    if (path / DATA_FILE).exists() or (path / KEYS_FILE).exists():
        return Vectors.from_disk(path)
    raise FileNotFoundError(f"{path} holds no vectors table (make one with: nbnlp init-vectors LANG VECTORS_FILE {path})")


def load_init_vectors(config: Mapping[str, Any]) -> Vectors | None:
    """The table a config's `[initialize] vectors` names (None when unset), for training, pretraining and debug-data
    alike; a folder without a table is a ConfigError on that setting."""
    path = (config.get("initialize", {}) or {}).get("vectors")
    if path in (None, "", False):
        return None
    try:
        return load_vectors(str(path))
    except (OSError, ValueError) as err:  # FileNotFoundError included
        raise ConfigError([ConfigProblem("initialize.vectors", str(err), expected="a folder made by nbnlp init-vectors", given=path)]) from None


__all__ = ["Vectors", "KEY_ATTRS", "check_key_attr", "has_vectors_dir", "load_init_vectors", "load_vectors"]
