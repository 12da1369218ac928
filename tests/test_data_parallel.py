"""Data-parallel training on Ray workers: the same weights as one process with accumulate_gradient = N, resume,
custom code in the workers, a dead worker, and an interrupted run that leaves no Ray process of its own behind.

All but one test use the session's shared Ray (`ray_address`); the interrupt test starts its own local Ray on
purpose, in a CLI subprocess, to check that nbnlp stops what it started."""
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import srsly

import nbnlp
from nbnlp.core.distributed import WorkerLost
from nbnlp.core.training import iter_training, train
from nbnlp.core.training.checkpoint import read_checkpoint
from test_resume import assert_same_weights, params, tagger_parser_config

SETTINGS = {"training.eval_frequency": 5, "training.patience": 0, "corpora.train.limit": 6, "corpora.dev.limit": 5,
            "training.dropout": 0.0, "training.max_steps": 12}

CUSTOM_CODE = '''
from thinc.api import Relu, Softmax_v2, chain, with_array
from nbnlp import registry

@registry.architectures("test.WorkerTagger.v1")
def worker_tagger(tok2vec, nO=None):
    """A tagger with a hidden layer, registered only here: workers must receive it to build the pipeline."""
    output = Softmax_v2(nO, 32)
    model = chain(tok2vec, with_array(chain(Relu(32), output)))
    model.set_ref("tok2vec", tok2vec)
    model.set_ref("output_layer", output)
    return model
'''


@pytest.fixture(scope="module")
def one_process(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("accumulate")
    result = train(tagger_parser_config(), out, overrides={**SETTINGS, "training.accumulate_gradient": 2}, stdout=io.StringIO())
    return out, result


def test_two_workers_equal_one_process_accumulating_two_also_across_a_resume(tmp_path: Path, ray_address: str, one_process: Any) -> None:
    """Stopped at step 7 and resumed (both on workers), the run still equals one process with accumulate_gradient 2."""
    reference, expected = one_process
    run = iter_training(tagger_parser_config(), tmp_path, overrides=SETTINGS, workers=2, address=ray_address)
    assert run.updater is not None and len(run.updater.workers) == 2
    for info in run:
        if info.step == 7:
            replicas = run.updater.worker_weights()
            break
    run.close()
    assert replicas[0] == replicas[1]  # the replicas stay identical
    assert not run.updater.workers  # the run's actors end with it
    resumed = iter_training(tagger_parser_config(), tmp_path, overrides=SETTINGS, resume=True, workers=2, address=ray_address)
    for _ in resumed:
        pass
    result = resumed.result
    assert result is not None and result.resumed_from == 7 and result.steps == 12
    pa, pb = params(reference / "model-last"), params(tmp_path / "model-last")
    assert max(float(np.abs(pa[k] - pb[k]).max()) for k in pa) <= 1e-5
    assert_same_weights(reference / "model-last", tmp_path / "model-last")  # in fact bit for bit
    assert [(h.step, h.score) for h in result.history] == [(h.step, h.score) for h in expected.history]
    stats = resumed.updater.stats
    assert stats.steps == 5 and stats.gradient_bytes > 0 and stats.syncs >= 1


def test_frozen_annotating_sourced_tagger_on_workers(tmp_path: Path, ray_address: str, one_process: Any) -> None:
    """A sourced, frozen and annotating tagger (its own tok2vec copy) trains on workers as in one process accumulating
    two, and stays bit for bit the source's."""
    from nbnlp.core.config import load_config

    reference, _ = one_process
    config = load_config(tagger_parser_config(), interpolate=False)
    config["components"]["tagger"] = {"source": str(reference / "model-last")}
    config["training"] = {**config["training"], "frozen_components": ["tagger"], "annotating_components": ["tagger"]}
    settings = {**SETTINGS, "training.max_steps": 6}
    one = train(config, tmp_path / "one", overrides={**settings, "training.accumulate_gradient": 2}, stdout=io.StringIO())
    two = train(config, tmp_path / "two", overrides=settings, workers=2, address=ray_address, stdout=io.StringIO())
    assert one.steps == two.steps == 6
    assert_same_weights(tmp_path / "one" / "model-last", tmp_path / "two" / "model-last")
    source, trained = nbnlp.load(reference / "model-last"), nbnlp.load(tmp_path / "two" / "model-last")
    tagger = trained.get_pipe("tagger").model
    for ours, theirs in ((tagger.get_ref("tok2vec"), source.get_pipe("tok2vec").model),
                         (tagger.get_ref("output_layer"), source.get_pipe("tagger").model.get_ref("output_layer"))):
        assert all(np.array_equal(a.get_param(p), b.get_param(p)) for a, b in zip(ours.walk(), theirs.walk()) for p in a.param_names if a.has_param(p))


def test_code_file_architecture_reaches_the_workers_through_the_cli(tmp_path: Path, ray_address: str) -> None:
    code = tmp_path / "custom.py"
    code.write_text(CUSTOM_CODE)
    config = tmp_path / "config.cfg"
    text = tagger_parser_config().replace('@architectures = "nbnlp.Tagger.v1"', '@architectures = "test.WorkerTagger.v1"')
    assert "test.WorkerTagger.v1" in text
    config.write_text(text)
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "nbnlp", "train", str(config), "--output", str(out), "--code", str(code), "--workers", "2",
         "--address", ray_address, *[f"--{k}={v}" for k, v in SETTINGS.items()], "--training.max_steps=6"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert srsly.read_json(out / "model-last" / "meta.json")["training"]["steps"] == 6  # (this process lacks the architecture)


def test_a_killed_worker_is_a_clear_error_and_keeps_the_models(tmp_path: Path, ray_address: str) -> None:
    run = iter_training(tagger_parser_config(), tmp_path, overrides={**SETTINGS, "training.max_steps": 100}, workers=2, address=ray_address)
    with pytest.raises(WorkerLost) as err:
        for info in run:
            if info.step == 6:
                os.kill(run.updater.descriptions[1]["pid"], signal.SIGKILL)
    message = str(err.value)
    assert f"training worker 1 (pid {run.updater.descriptions[1]['pid']}" in message and "died" in message
    assert nbnlp.load(tmp_path / "model-best").meta["training"]["steps"] == 5
    assert run.result is not None and run.result.interrupted
    # the replicas may disagree after a loss: model-last and the checkpoint stay those of the last complete save
    assert nbnlp.load(tmp_path / "model-last").meta["training"]["steps"] == 5
    assert read_checkpoint(tmp_path / "checkpoint").loop.step == 5


def _ray_processes() -> set[int]:
    """Process ids of Ray's own processes (GCS, raylet, workers) on this machine."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf8", "replace")
        except OSError:
            continue
        if any(name in cmdline for name in ("gcs_server", "raylet", "default_worker.py", "ray::", "dashboard/agent", "log_monitor")):
            found.add(int(entry.name))
    return found


def test_interrupt_keeps_models_and_leaves_no_ray_behind(tmp_path: Path, ray_address: str) -> None:
    before = _ray_processes()  # the shared test cluster's
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_ADDRESS")}
    process = subprocess.Popen(
        [sys.executable, "-m", "nbnlp", "train", "demo", "--output", str(out), "--workers", "2",
         "--training.eval_frequency=5", "--training.max_steps=100000", "--training.patience=0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    deadline = time.time() + 240
    while not (out / "checkpoint" / "state.msgpack").exists():
        assert process.poll() is None and time.time() < deadline, process.communicate()[1][-3000:]
        time.sleep(0.2)
    started_here = _ray_processes() - before
    assert started_here, "the run should have started a local Ray of its own"
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr[-3000:]
    assert "Traceback" not in stderr
    assert nbnlp.load(out / "model-best") and nbnlp.load(out / "model-last")
    deadline = time.time() + 30
    while _ray_processes() & started_here and time.time() < deadline:
        time.sleep(0.5)
    assert not (_ray_processes() & started_here), "Ray processes started by the run are still alive"
