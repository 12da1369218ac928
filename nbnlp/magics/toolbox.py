"""The toolbox magics: convert, init-config, debug-data, init-labels, init-vectors, pretrain, package, info, validate."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import line_magic, magics_class
from IPython.display import HTML, Markdown, display

from ..arguments import arg
from ..magic_args import command_arguments, parse_line
from ..magic_errors import user_errors
from .base import CONFIG_NAME, CONFIG_REF, DEFAULT_CONFIG_NAME, NamespaceMagics, result_name
from .live import CellInterrupted, drive
from .training import _config_header


@magics_class
class ToolboxMagics(NamespaceMagics):
    """The CLI's toolbox commands as magics."""

    # ----- toolbox ----------------------------------------------------------------------------------
    @command_arguments("convert")
    @line_magic
    @user_errors
    def nlp_convert(self, line: str) -> list:
        """Convert CoNLL-U / IOB / CoNLL NER / UNER / JSONL data to .nbnlp or JSONL; returns the converted files."""
        from ..core.corpus.convert import convert

        args, _ = parse_line(self.nlp_convert, line)
        results = convert(self._path(args.input), args.output_dir, converter=args.converter, n_sents=args.n_sents, file_type=args.file_type, lang=args.lang)
        for r in results:
            print(r.summary())
        return results

    @command_arguments("init-config", before=[CONFIG_NAME], after=[arg("--output", default=None, help="also write the config to this file")])
    @line_magic
    @user_errors
    def nlp_init_config(self, line: str) -> None:
        """Generate a complete, commented training config and store it as NAME (and optionally write it)."""
        from ..core.commands.init_config import init_config
        from ..core.training.check import check_config

        args, _ = parse_line(self.nlp_init_config, line)
        text = init_config(lang=args.lang, pipeline=args.pipeline.split(","), optimize=args.optimize, gpu=args.gpu, pretraining=args.pretraining)
        if args.output:
            from ..core.corpus.atomic import atomic_write

            with atomic_write(args.output, "w", encoding="utf8") as f:
                f.write(text)
        checked = check_config(text)
        self.ns[args.name] = checked.config
        display(HTML(_config_header(args.name, checked)))

    @command_arguments("debug-data", before=[CONFIG_REF], after=[result_name("debug_report")])
    @line_magic
    @user_errors
    def nlp_debug_data(self, line: str) -> None:
        """Check a config's training and dev data before training; `--section.key value` overrides the config."""
        from ..core.commands.debug_data import debug_data
        from ..core.util import import_code
        from ..widgets.debug_report import debug_report_html

        args, overrides = parse_line(self.nlp_debug_data, line, overrides=True)
        source, _ = self._config_source(args.config)
        import_code(args.code)
        report = debug_data(source, overrides=overrides, verbose=args.verbose)
        self.ns[args.result_name] = report
        display(HTML(debug_report_html(report)))

    @command_arguments("init-labels", after=[result_name("labels_files")])
    @line_magic
    @user_errors
    def nlp_init_labels(self, line: str) -> None:
        """Write each component's labels from the config's training corpus (OUTPUT_DIR/NAME.json), for
        `[initialize.components.NAME] labels`; `--section.key value` overrides the config."""
        from ..core.commands.init_labels import init_labels
        from ..core.util import import_code

        args, overrides = parse_line(self.nlp_init_labels, line, overrides=True)
        source, _ = self._config_source(args.config)
        import_code(args.code)
        written = init_labels(source, args.output_dir, overrides=overrides)
        self.ns[args.result_name] = written
        for name, path in written.items():
            print(f"Wrote {path} ({name})")

    @command_arguments("init-vectors")
    @line_magic
    @user_errors
    def nlp_init_vectors(self, line: str) -> Any:
        """Read word vectors into a blank pipeline folder; use it with `[initialize] vectors = "OUTPUT_DIR"`."""
        from ..core.commands.init_vectors import init_vectors

        args, _ = parse_line(self.nlp_init_vectors, line)
        result = init_vectors(args.lang, self._path(args.vectors_file), args.output_dir, truncate=args.truncate, prune=args.prune, name=args.name)
        print(f"Wrote {result.output_dir}: {result.summary()}")
        return result

    @command_arguments("pretrain", before=[
        arg("config", nargs="?", default=DEFAULT_CONFIG_NAME, help="config variable or file with a [pretraining] section"),
    ], after=[result_name("pretrain_result")])
    @line_magic
    @user_errors
    def nlp_pretrain(self, line: str) -> None:
        """Pretrain the config's tok2vec on raw text with a live view; `--section.key value` overrides the config.

        Interrupting keeps the weights of the finished epochs. Use them in training with
        `[initialize] init_tok2vec = "OUTPUT_DIR/modelN.bin"`.
        """
        from ..core.commands.pretrain import iter_pretrain
        from ..core.util import import_code
        from ..widgets.pretrain_view import PretrainView
        from ..widgets.training_view import INTERRUPTED

        args, overrides = parse_line(self.nlp_pretrain, line, overrides=True)
        source, _ = self._config_source(args.config)
        import_code(args.code)
        run = iter_pretrain(source, args.output_dir, overrides=overrides, epoch_resume=args.epoch_resume, use_gpu=args.gpu_id)
        view = PretrainView(int(run.setup.settings["max_epochs"]))
        status = drive(run, view)
        result = run.result
        last = result.last_weights if result is not None else None
        view.finish(status, f"use [initialize] init_tok2vec = \"{last}\"" if last else "no epoch finished")
        self.ns[args.result_name] = result
        if status == INTERRUPTED:  # the finished epochs are kept and bound; a Run All stops here as after any interrupt
            raise CellInterrupted(f"Pretraining interrupted: result stored as {args.result_name}" + (f", last weights {last}" if last else ""))

    @command_arguments("package", before=[arg("input", help="pipeline folder, or a training result variable (its model-best)")])
    @line_magic
    @user_errors
    def nlp_package(self, line: str) -> Path:
        """Make an installable Python package (and wheel) from a trained pipeline; returns the package folder."""
        from ..core.commands.package import describe_package, package
        from ..core.training.train import TrainResult

        args, _ = parse_line(self.nlp_package, line)
        source = self.ns.get(args.input)
        if isinstance(source, TrainResult):
            if source.model_best is None and source.model_last is None:
                raise UsageError(f"{args.input!r} was trained without an output folder: nothing saved to package")
            input_dir = str(source.model_best or source.model_last)
        else:
            input_dir = self._path(args.input)
        folder = package(input_dir, args.output_dir, name=args.name, version=args.version, meta_path=args.meta_path, build=args.build,
                         force=args.force, code=args.code)
        print(describe_package(folder))
        return folder

    @command_arguments("info")
    @line_magic
    @user_errors
    def nlp_info(self, line: str) -> None:
        """Versions of nbnlp, Python, thinc, numpy, cupy and the GPU; installed pipelines; a pipeline's meta."""
        from ..core.commands.info import format_info, info

        args, _ = parse_line(self.nlp_info, line)
        model: Any = args.model
        if model is not None and model in self.ns:
            value = self.ns[model]
            saved = getattr(value, "model_best", None) or getattr(value, "model_last", None)
            model = str(saved) if saved is not None else (str(value) if isinstance(value, (str, Path)) else None)
            if model is None:
                raise UsageError(f"{args.model!r}: give a pipeline folder, package name or a training result saved to disk")
        data = info(model)
        text = format_info(data, markdown=True)
        if args.markdown:
            print(text)
        else:
            display(Markdown(text))

    @command_arguments("validate")
    @line_magic
    @user_errors
    def nlp_validate(self, line: str) -> list:
        """Installed pipeline packages and whether each is compatible with this nbnlp version."""
        from ..core.commands.info import format_validation, validate

        parse_line(self.nlp_validate, line)
        results = validate()
        print(format_validation(results))
        return results

