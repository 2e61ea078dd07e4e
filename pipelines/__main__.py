"""``python -m pipelines <entry> --name value …``: the module entry MLproject's entry points run.

Every parameter is a plain ``--name value`` pair (MLflow substitutes each MLproject parameter
as one shell-quoted word, so an empty default arrives as an empty value, meaning "not given");
booleans are ``true``/``false``. The values are parsed into the same typed options as
`shopstream train|promote|evaluate-sessions` and run by the same functions.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from pipelines.models.spec import parse_bool

NOISY_LOGGERS = ("py4j", "mlflow", "botocore", "urllib3", "alembic", "httpx")


def parser() -> argparse.ArgumentParser:
    from pipelines.lifecycle.options import model_params
    from pipelines.models.recommender.params import SESSION_TEST_DAYS

    root = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__)
    entries = root.add_subparsers(dest="entry", required=True)
    train = entries.add_parser("train", help="train, log, register and promote models")
    train.add_argument("--models", default="all", help="comma-separated model names, or all")
    _selection_arguments(train)
    train.add_argument("--original-ranges", type=parse_bool, default=False)
    train.add_argument("--original-recipe", type=parse_bool, default=False)
    train.add_argument("--promote", type=parse_bool, default=True)
    train.add_argument("--name-prefix", default="")
    train.add_argument("--json", dest="as_json", action="store_true",
                       help="one JSON object on stdout (benchmarks)")
    for param in model_params().values():
        train.add_argument(f"--{param.name.replace('_', '-')}", dest=param.name, type=param.parse,
                           default=param.default, help=param.help)
    promote = entries.add_parser("promote", help="champion/challenger promotion of a version")
    promote.add_argument("--name", required=True)
    promote.add_argument("--version", default="")
    promote.add_argument("--force", type=parse_bool, default=False)
    promote.add_argument("--dry-run", type=parse_bool, default=False)
    sessions = entries.add_parser("evaluate-sessions", help="the session-based protocol")
    _selection_arguments(sessions)
    sessions.add_argument("--test-days", type=float, default=SESSION_TEST_DAYS)
    sessions.add_argument("--json", dest="as_json", action="store_true",
                          help="one JSON object on stdout")
    return root


def _selection_arguments(entry: argparse.ArgumentParser) -> None:
    for name in ("batches", "date-from", "date-to", "events-file"):
        entry.add_argument(f"--{name}", default="")


def run(argv: Sequence[str]) -> None:
    from shopstream.output import emit
    from shopstream.settings import load_settings

    args = vars(parser().parse_args(argv))
    settings = load_settings()
    entry = args.pop("entry")
    if entry == "train":
        from pipelines.cli import run_training
        from pipelines.lifecycle.options import build_options, model_params, selection_from

        selection = selection_from(args.pop("batches"), args.pop("date_from"),
                                   args.pop("date_to"), args.pop("events_file"))
        values = {name: args.pop(name) for name in model_params()}
        as_json = args.pop("as_json")
        options = build_options(args.pop("models").split(","), selection, values, **args)
        run_training(settings, options, as_json=as_json)
    elif entry == "promote":
        from pipelines.lifecycle.promotion import promote

        decision = promote(settings, args["name"], args["version"] or None, force=args["force"],
                           dry_run=args["dry_run"])
        emit(decision.summary(), as_json=False, title=f"promote {args['name']}")
    else:
        from pipelines.experiments.session_protocol import evaluate_session_protocol
        from pipelines.lifecycle.options import selection_from

        selection = selection_from(args["batches"], args["date_from"], args["date_to"],
                                   args["events_file"])
        payload = evaluate_session_protocol(settings, selection, test_days=args["test_days"])
        emit(payload, as_json=args["as_json"], title="session protocol")


def main(argv: Sequence[str] | None = None) -> None:
    from shopstream.errors import ShopstreamError

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        run(sys.argv[1:] if argv is None else argv)
    except ShopstreamError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
