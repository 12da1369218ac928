"""`%nlp_evaluate` and `%nlp_inspect`: scores, per-label tables and the example inspector."""
from __future__ import annotations

from typing import Any, Optional

from IPython.core.error import UsageError
from IPython.core.magic import line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display

from ..arguments import CODE, arg
from ..magic_args import command_arguments, parse_line
from ..magic_errors import user_errors
from .base import NamespaceMagics, result_name


@magics_class
class EvaluationMagics(NamespaceMagics):
    """`%nlp_evaluate` and `%nlp_inspect`."""

    # ----- evaluation and inspection -------------------------------------------------------------
    @command_arguments("evaluate", before=[arg("nlp", help="pipeline variable (Language or training result) or model path")],
                       after=[result_name("eval_result")])
    @line_magic
    @user_errors
    def nlp_evaluate(self, line: str) -> None:
        """Score a pipeline on annotated data: overall scores, per-label tables and confusion matrices."""
        from ..widgets.evaluation import EvaluationView

        args, _ = parse_line(self.nlp_evaluate, line)
        result = self._evaluate(args.nlp, args.data, args.gold_preproc, args.gpu_id, args.code)
        self.ns[args.result_name] = result
        display(EvaluationView(result))

    @magic_arguments()
    @argument("nlp", help="pipeline variable or model path, or an evaluation result variable (then DATA is not needed)")
    @argument("data", nargs="?", default=None, help="annotated corpus (any format nbnlp.load_docs reads)")
    @argument("--errors-only", "-e", action="store_true", help="start with only the examples that have errors")
    @argument("--gold-preproc", "-G", action="store_true", help="use the corpus' own tokens")
    @argument(*CODE.flags, **CODE.options)
    @line_magic
    @user_errors
    def nlp_inspect(self, line: str) -> None:
        """Browse gold vs predicted annotations example by example, errors marked."""
        from ..core.commands.evaluate import EvaluationResult
        from ..widgets.inspector import ExampleInspector

        args, _ = parse_line(self.nlp_inspect, line)
        value = self.ns.get(args.nlp)
        if isinstance(value, EvaluationResult) and args.data is None:
            result = value
        else:
            if args.data is None:
                if args.nlp not in self.ns:
                    raise UsageError(f"no variable named {args.nlp!r}: give an evaluation result (from %nlp_evaluate), or a "
                                     "pipeline and the DATA to evaluate it on")
                raise UsageError(f"{args.nlp!r} is a {type(value).__name__}: give the DATA to evaluate it on "
                                 "(or an evaluation result from %nlp_evaluate)")
            result = self._evaluate(args.nlp, args.data, args.gold_preproc, None, args.code)
        display(ExampleInspector(result.examples, errors_only=args.errors_only))

    def _evaluate(self, nlp_ref: str, data: str, gold_preproc: bool, gpu_id: Optional[int], code: Optional[str] = None) -> Any:
        from ..core.commands.evaluate import evaluate
        from ..core.util import import_code

        import_code(code)  # before the pipeline loads: its config may name functions the code registers
        return evaluate(self._pipeline(nlp_ref), self._path(data), gold_preproc=gold_preproc, gpu_id=gpu_id)

