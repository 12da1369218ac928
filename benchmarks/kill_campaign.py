"""Kill training with SIGKILL at many moments and check that nothing it saved is ever lost or half-written.

One training run (tagger + parser on the demo corpus, evaluating and checkpointing every few steps so
that saves are frequent) is killed `--kills` times; after each kill it is continued with `--resume`,
so later kills also land in resumed runs. Half the kills are aimed at a save (the moment a temporary
folder of model-best, model-last or the checkpoint appears, in turn, plus a random 0-40 ms), half
land at a random moment. After every kill the script checks that model-best and model-last load with
`nbnlp.load` and that the checkpoint resumes (`iter_training(..., resume=True)` builds the run).

    python benchmarks/kill_campaign.py --kills 30 [--work DIR] [--fallback-swap]

`--fallback-swap` disables the one-step folder exchange (renameat2) in the training processes, so
the two-rename swap and its recovery on load are what is tested.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SAVED = ("model-best", "model-last", "checkpoint")
SETTINGS = {
    "training.eval_frequency": 4, "training.max_steps": 100000, "training.patience": 0,
    "corpora.train.limit": 20, "corpora.dev.limit": 8,
}
NO_EXCHANGE_CODE = "import nbnlp.core.corpus.atomic as atomic\natomic.exchange_paths = lambda first, second: False\n"


@dataclass
class Kill:
    """One kill and what survived it."""

    number: int
    aimed: str  # the folder whose save was aimed at, or "random"
    seconds: float  # after the process started
    writing: str  # temporary folders present at the kill
    model_best: bool
    model_last: bool
    checkpoint: bool
    problem: str = ""


def write_config(work: Path) -> Path:
    from nbnlp.core.commands.init_config import init_config
    from nbnlp.data import demo_path

    config = init_config(lang="en", pipeline=["tagger", "parser"])
    config = config.replace("train = null", f'train = "{demo_path("ewt-train")}"').replace("dev = null", f'dev = "{demo_path("ewt-dev")}"')
    path = work / "config.cfg"
    path.write_text(config, encoding="utf8")
    return path


def in_progress(output: Path) -> list[str]:
    """Temporary folders of an unfinished save (names like `.model-best.abc123.tmp` or `.checkpoint.old`)."""
    try:
        return sorted(n for n in os.listdir(output) if n.startswith(".") and (n.endswith(".tmp") or n.endswith(".old")))
    except FileNotFoundError:
        return []


def start(config: Path, output: Path, resume: bool, code: Optional[Path]) -> subprocess.Popen:
    args = [sys.executable, "-m", "nbnlp", "train", str(config), "--output", str(output)]
    args += [f"--{key}={value}" for key, value in SETTINGS.items()]
    if resume:
        args.append("--resume")
    if code is not None:
        args += ["--code", str(code)]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def wait_and_kill(process: subprocess.Popen, output: Path, aimed: str, rng: random.Random, first: bool) -> tuple[float, str]:
    """`aimed` is "random" or the saved folder to hit while it is written ("model-best", "model-last", "checkpoint")."""
    # SIGKILL at a save or at a random moment (after the first checkpoint); returns when, and what was being written
    began = time.perf_counter()
    leftovers = set(in_progress(output))  # a killed save's temporary folders, removed by the next save

    def writing_now() -> list[str]:
        return [name for name in in_progress(output) if name not in leftovers]

    if first:  # "at any moment after the first checkpoint"
        while not (output / "checkpoint" / "state.msgpack").exists():
            if process.poll() is not None:
                raise RuntimeError(f"training ended before its first checkpoint: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            time.sleep(0.005)
    if aimed != "random":
        deadline = time.perf_counter() + 120
        while not any(name.startswith(f".{aimed}.") for name in writing_now()):
            if process.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError("training ended (or saved nothing for 2 minutes) before a save could be hit")
            time.sleep(0.0005)
        time.sleep(rng.uniform(0, 0.04))
    else:
        time.sleep(rng.uniform(0, 6.0))
    writing = ",".join(name.split(".")[1] for name in writing_now()) or "-"
    process.send_signal(signal.SIGKILL)
    process.wait()
    return time.perf_counter() - began, writing


def check(config: Path, output: Path) -> tuple[bool, bool, bool, str]:
    """Whether model-best and model-last load and the checkpoint resumes (a run is built from it)."""
    import nbnlp
    from nbnlp.core.training import iter_training

    problems = []
    loaded = []
    for name in ("model-best", "model-last"):
        try:
            nbnlp.load(output / name)
            loaded.append(True)
        except Exception as err:  # noqa: BLE001 - any failure to load counts, and is reported
            loaded.append(False)
            problems.append(f"{name}: {type(err).__name__}: {err}")
    try:
        run = iter_training(str(config), output, overrides=SETTINGS, resume=True)
        resumable = run.resumed_from is not None
        run.signals.uninstall()
    except Exception as err:  # noqa: BLE001
        resumable = False
        problems.append(f"checkpoint: {type(err).__name__}: {err}")
    return loaded[0], loaded[1], resumable, "; ".join(problems)


def campaign(kills: int, work: Path, *, seed: int = 0, fallback_swap: bool = False, echo: bool = True) -> list[Kill]:
    """Run the campaign in `work` and return one Kill per kill."""
    rng = random.Random(seed)
    config = write_config(work)
    output = work / "out"
    code = None
    if fallback_swap:
        code = work / "no_exchange.py"
        code.write_text(NO_EXCHANGE_CODE, encoding="utf8")
    results = []
    for number in range(kills):
        aimed = SAVED[(number // 2) % len(SAVED)] if number % 2 == 0 else "random"
        process = start(config, output, resume=number > 0, code=code)
        seconds, writing = wait_and_kill(process, output, aimed, rng, first=number == 0)
        best, last, resumable, problem = check(config, output)
        kill = Kill(number + 1, aimed, seconds, writing, best, last, resumable, problem)
        results.append(kill)
        if echo:
            marks = " ".join(f"{name}={'ok' if ok else 'LOST'}" for name, ok in zip(SAVED, (best, last, resumable)))
            print(f"kill {kill.number:2d} ({aimed:10s} at {seconds:5.2f} s, writing {writing}): {marks}" + (f"  [{problem}]" if problem else ""), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--work", type=Path, default=None, help="folder for the run (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fallback-swap", action="store_true", help="test the two-rename folder swap and its recovery")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="nbnlp-kills-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"work folder: {work}; swap: {'two renames + recovery' if args.fallback_swap else 'renameat2 exchange where available'}")
    results = campaign(args.kills, work, seed=args.seed, fallback_swap=args.fallback_swap)
    n = len(results)
    at_save = sum(1 for r in results if r.writing != "-")
    print(f"\n{n} kills ({at_save} during a save): loadable model-best {sum(r.model_best for r in results)}/{n}, "
          f"model-last {sum(r.model_last for r in results)}/{n}, resumable checkpoint {sum(r.checkpoint for r in results)}/{n}")


if __name__ == "__main__":
    main()
