"""`%nlp_train --workers 2` in a real kernel: an architecture registered in a notebook cell reaches the Ray workers,
and the run ends with the same result object and saved models as one in-process run."""
from pathlib import Path

import srsly

from nbnlp.core.commands.init_config import demo_config

REGISTER_CELL = '''
from thinc.api import Relu, Softmax_v2, chain, with_array
import nbnlp

@nbnlp.registry.architectures("notebook.HiddenTagger.v1")
def hidden_tagger(tok2vec, nO=None):
    """Defined in this cell only: the workers' processes cannot import it."""
    output = Softmax_v2(nO, 24)
    model = chain(tok2vec, with_array(chain(Relu(24), output)))
    model.set_ref("tok2vec", tok2vec)
    model.set_ref("output_layer", output)
    return model
'''


def test_notebook_registered_architecture_trains_on_two_workers(kernel, ray_address: str, tmp_path: Path) -> None:
    config = demo_config().replace('@architectures = "nbnlp.Tagger.v1"', '@architectures = "notebook.HiddenTagger.v1"')
    assert "notebook.HiddenTagger.v1" in config
    kernel.run("import os; os.environ['RAY_AUTH_MODE'] = 'disabled'")  # the test cluster runs without a token
    kernel.run(REGISTER_CELL)
    kernel.run(f"cfg_text = {config!r}")
    out = tmp_path / "out"
    values = kernel.run(
        f"%nlp_train cfg_text --output {out} --workers 2 --address {ray_address} --view console "
        "--training.max_steps 12 --training.eval_frequency 6 --corpora.train.limit 40",
        timeout=300,
        steps="train_result.steps", history="[h.step for h in train_result.history]", interrupted="train_result.interrupted",
    )
    assert values == {"steps": 12, "history": [6, 12], "interrupted": False}
    meta = srsly.read_json(out / "model-last" / "meta.json")
    assert meta["training"]["steps"] == 12 and meta["performance"]["tag_acc"] > 0
    assert (out / "model-best" / "meta.json").is_file()
