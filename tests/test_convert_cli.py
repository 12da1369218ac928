"""`nbnlp convert` end to end: the demo corpus, grouping, formats, and bad input leaving no output."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import nbnlp
from nbnlp.cli import main
from nbnlp.data import demo_path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbnlp", *args], capture_output=True, text=True)


def test_convert_demo_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_cli("convert", str(demo_path("")), str(out), "--n-sents", "10")
    assert proc.returncode == 0, proc.stderr
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(
        ["ewt-dev.nbnlp", "ewt-train.nbnlp", "sms-dev.nbnlp", "sms-train.nbnlp", "uner-dev.nbnlp", "uner-train.nbnlp"]
    )
    assert "ewt-train.conllu (conllu) ->" in proc.stdout and "800 sentences, 18204 words" in proc.stdout
    assert "uner-train.iob2 (uner) ->" in proc.stdout and "sms-train.jsonl (jsonl) ->" in proc.stdout
    # The converted docs carry the same text and annotations as the source.
    source = list(nbnlp.load_docs(demo_path("ewt-train")))
    converted = list(nbnlp.load_docs(out / "ewt-train.nbnlp"))
    # Groups of at most 10 sentences; a new source document (# newdoc) starts a new group.
    sizes = [len(list(d.sents)) for d in converted]
    assert sum(sizes) == 800 and max(sizes) == 10 and len(converted) >= 80
    assert " ".join(d.text for d in converted) == " ".join(d.text for d in source)
    assert [t.dep_ for d in converted for t in d] == [t.dep_ for d in source for t in d]
    assert all(d.user_data.get("newdoc") for d in converted if d.user_data.get("sent_ids", [None])[0] in
               {s.user_data.get("sent_id") for s in source if s.user_data.get("newdoc")})
    ents = [e for d in nbnlp.load_docs(out / "uner-train.nbnlp") for e in d.ents]
    assert ents == [] or all(e.label_ in {"LOC", "ORG", "PER"} for e in ents)
    assert len(ents) == sum(len(d.ents) for d in nbnlp.load_docs(demo_path("uner-train")))
    cats = [d.cats for d in nbnlp.load_docs(out / "sms-train.nbnlp")]
    assert len(cats) == 600 and all(c for c in cats)


def test_convert_to_jsonl_round_trips_entities(tmp_path: Path) -> None:
    assert main(["convert", str(demo_path("uner-dev")), str(tmp_path), "--file-type", "jsonl"]) == 0
    out = tmp_path / "uner-dev.jsonl"
    back = list(nbnlp.load_docs(out))
    source = list(nbnlp.load_docs(demo_path("uner-dev")))
    assert len(back) == len(source) == 200
    assert [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in back] == [
        [(e.start_char, e.end_char, e.label_) for e in d.ents] for d in source
    ]


def test_bad_input_exits_nonzero_and_writes_nothing(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a_good.conllu").write_text(
        "# text = Hi there\n1\tHi\thi\tINTJ\tUH\t_\t2\tdiscourse\t_\t_\n2\tthere\tthere\tADV\tRB\t_\t0\troot\t_\t_\n\n",
        encoding="utf8",
    )
    (src / "b_bad.conllu").write_text(
        "# text = Hi there\n1\tHi\thi\tINTJ\tUH\t_\t2\tdiscourse\t_\t_\n2\tthere\tthere\tADV\tRB\t_\t0\troot\t_\n\n",
        encoding="utf8",
    )
    out = tmp_path / "out"
    proc = run_cli("convert", str(src), str(out))
    assert proc.returncode == 1
    assert "b_bad.conllu:3" in proc.stderr and "10" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["--converter", "xml"], "Unknown corpus format 'xml'"),
        (["--n-sents", "0"], "n_sents must be at least 1"),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path: Path, args: list[str], message: str) -> None:
    proc = run_cli("convert", str(demo_path("ewt-dev")), str(tmp_path / "o"), *args)
    assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr


def test_missing_input(tmp_path: Path) -> None:
    proc = run_cli("convert", str(tmp_path / "nope.conllu"), str(tmp_path / "o"))
    assert proc.returncode == 1 and "nope.conllu: no such file or folder" in proc.stderr
