"""A small kill campaign (benchmarks/kill_campaign.py runs 30): SIGKILL training at saves and at random
moments, resume after each kill; model-best, model-last and the checkpoint must always load."""
import importlib.util
import sys
from pathlib import Path


_PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "kill_campaign.py"
_spec = importlib.util.spec_from_file_location("kill_campaign", _PATH)
assert _spec is not None and _spec.loader is not None
kill_campaign = importlib.util.module_from_spec(_spec)
sys.modules["kill_campaign"] = kill_campaign
_spec.loader.exec_module(kill_campaign)


def test_nothing_saved_is_lost_when_training_is_killed(tmp_path: Path) -> None:
    """(The two-rename fallback swap and its recovery are tested in test_atomic.py; the benchmark runs both kinds.)"""
    kills = kill_campaign.campaign(4, tmp_path, seed=1, echo=False)
    lost = [k for k in kills if not (k.model_best and k.model_last and k.checkpoint)]
    assert not lost, lost
    aimed = [k for k in kills if k.aimed != "random"]
    assert any(k.writing != "-" for k in aimed), aimed  # kills really landed in the middle of saves
