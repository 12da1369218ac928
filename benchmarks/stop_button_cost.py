"""What watching for the Stop button's click costs a training run in a real kernel.

One Jupyter kernel trains the demo pipeline (tok2vec + tagger) once to warm up, then `--repeats` times each
way, alternating: with the live view's Stop button (the kernel's waiting shell messages read every 0.5 s
between steps) and with the button turned off (`StopButton.available` patched to False). It prints
the steps per second of each run, the mean of each way, and the time the polls themselves took
(`polls`, `poll_seconds` of the button) as a share of training time.

    taskset -c 0 python benchmarks/stop_button_cost.py [--steps 1000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from notebook_helpers import LiveKernel  # noqa: E402

SETUP = """
%load_ext nbnlp
import time
from nbnlp.widgets.stop_button import StopButton
_available = StopButton.available
def _train(line, button):
    StopButton.available = staticmethod(_available if button else (lambda shell: False))
    start = time.perf_counter()
    get_ipython().run_line_magic("nlp_train", line)
    seconds = time.perf_counter() - start
    StopButton.available = staticmethod(_available)
    stop = get_ipython().magics_manager.registry["TrainingMagics"].last_stop_button
    return (train_result.steps / train_result.history[-1].seconds, seconds,
            stop.polls if stop else 0, stop.poll_seconds if stop else 0.0)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nbnlp-stop-cost-"))
    kernel = LiveKernel(work)
    try:
        kernel.run(SETUP, timeout=120)
        warm_up = f"demo --output {work / 'warm-up'} --training.max_steps 50 --training.eval_frequency 25"
        kernel.run(f"_train({warm_up!r}, True)", timeout=600)  # imports, caches and first allocations: not counted
        kernel.drain()
        rates: dict[bool, list[float]] = {True: [], False: []}
        polled: list[tuple[int, float, float]] = []
        for i in range(args.repeats):
            for button in (True, False):
                line = (f"demo --output {work / f'run-{i}-{int(button)}'} --training.max_steps {args.steps} "
                        f"--training.eval_frequency {args.steps // 3}")
                values = kernel.run(f"_result = _train({line!r}, {button})", timeout=1800, result="_result")
                kernel.drain()
                steps_per_s, seconds, polls, poll_seconds = values["result"]
                rates[button].append(steps_per_s)
                if button:
                    polled.append((polls, poll_seconds, seconds))
                print(f"repeat {i + 1} {'with button   ' if button else 'without button'}: {steps_per_s:6.2f} steps/s"
                      + (f"  ({polls} polls, {1000 * poll_seconds:.1f} ms polling in {seconds:.1f} s)" if button else ""))
        with_button, without = statistics.mean(rates[True]), statistics.mean(rates[False])
        polls = sum(p for p, _, _ in polled)
        poll_seconds = sum(s for _, s, _ in polled)
        total = sum(t for _, _, t in polled)
        print(f"\nmean steps/s: with the Stop button {with_button:.2f}, without {without:.2f} "
              f"({100 * (with_button / without - 1):+.1f}%)")
        print(f"polling: {polls} polls, {1000 * poll_seconds / max(polls, 1):.3f} ms each, "
              f"{100 * poll_seconds / total:.3f}% of the training time")
    finally:
        kernel.shutdown()


if __name__ == "__main__":
    main()
