"""The pipeline as files a worker process can rebuild it from (the worker may run on another machine).

Functions registered in notebook cells or `--code` files travel separately (`registrations.py`).
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..language import Language


def pipeline_files(nlp: "Language") -> dict[str, bytes]:
    """The pipeline's saved files by relative path (sent to workers, which may be on other machines)."""
    with tempfile.TemporaryDirectory(prefix="nbnlp-ship-") as tmp:
        folder = Path(tmp)
        nlp.write_files(folder)
        return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def load_pipeline_files(files: dict[str, bytes]) -> "Language":
    """A pipeline from `pipeline_files` output, in a worker."""
    from ..language import Language

    with tempfile.TemporaryDirectory(prefix="nbnlp-worker-") as tmp:
        folder = Path(tmp)
        for relative, data in files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return Language.from_disk(folder)
