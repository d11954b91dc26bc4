"""The grammar of ``tui-lab``: its options and commands, and nothing they do."""

from __future__ import annotations

import argparse

from lab_i18n import _
from lessons.translation import LANGUAGES
from tui_lab import __version__
from tui_lab.serve import DEFAULT_HOST, DEFAULT_PORT


def _shared_options(parser: argparse.ArgumentParser, defaults: bool = True) -> None:
    """Options accepted before or after the command. Only the top-level parser sets
    defaults: a subcommand's defaults would overwrite `tui-lab --device cpu run …`."""

    def default(value):
        return value if defaults else argparse.SUPPRESS

    parser.add_argument("--lessons", action="append", default=default([]), metavar="DIR",
                        help="also load lessons from DIR (repeatable)")
    parser.add_argument("--device", default=default("auto"),
                        help="auto (default: CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps")
    parser.add_argument("--data-dir", default=default(None), metavar="PATH",
                        help="dataset root (default: $TUI_LAB_DATA, then a per-user cache)")
    parser.add_argument("--lang", default=default("en"), choices=list(LANGUAGES),
                        help="language of the lessons and the interface (default en; zh: Simplified Chinese)")


def _replay_speed(text: str) -> float:
    from engines.core.recording import parse_speed  # the recording module only when replaying

    try:
        return parse_speed(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _variant(text: str) -> int:
    from tui_lab.config import parse_variant  # the settings module only when the option is given

    try:
        return parse_variant(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _variant_option(parser: argparse.ArgumentParser, help: str, defaults: bool = False) -> None:
    """``--variant N``, before or after the command; only the top-level parser sets its default."""
    parser.add_argument("--variant", type=_variant, default=None if defaults else argparse.SUPPRESS, metavar="N",
                        help=help)


def _count(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a count is a whole number from 1 up, not {text!r}")
    return int(text)


LAB_VARIANT_HELP = ("which set of numbers the by-hand lessons give (default: yours, kept with your progress; "
                    "0: the articles')")
TABLE_VARIANT_HELP = "which set of numbers (default 0: the articles'; the lab's status bar shows a student's)"


def build_parser() -> argparse.ArgumentParser:
    shared = argparse.ArgumentParser(add_help=False)
    _shared_options(shared, defaults=False)
    parser = argparse.ArgumentParser(
        prog="tui-lab",
        description="A terminal lab for learning deep learning by doing it. "
        "Without a command, opens the lab.",
    )
    _shared_options(parser)
    parser.add_argument("--version", action="version", version=f"tui-lab {__version__}")
    parser.add_argument("--start-from", metavar="LESSON[:STEP]", default=None,
                        help="open the lab at this lesson (and step), e.g. backprop:4")
    _variant_option(parser, LAB_VARIANT_HELP, defaults=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("list", parents=[shared], help="one line per lesson: id and title")

    run = sub.add_parser("run", parents=[shared], help="run a lesson's engine without the UI")
    run.add_argument("lesson", help="lesson id, e.g. gradient-descent")
    run.add_argument("--step", type=int, default=None, help="which run step (default: the first)")
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="override a run parameter (repeatable)")
    run.add_argument("--json", action="store_true", help="JSON lines, one event per line")
    run.add_argument("--nproc", default=None, metavar="N",
                     help="train in N processes with DistributedDataParallel under torchrun (cifar10)")
    run.add_argument("--csv", metavar="FILE", help="also write the run's data (the plots' points) as CSV")
    run.add_argument("--graph", action="store_true",
                     help=_("also draw the computational graph, values and gradients on its edges (backprop)"))
    run.add_argument("--record", metavar="FILE",
                     help="also write the run to FILE (config, device, every event) for `tui-lab replay`")

    replay = sub.add_parser("replay", parents=[shared], help="play a recorded run back without the UI")
    replay.add_argument("file", metavar="FILE", help="a recording (.jsonl), or the name of a shipped one")
    replay.add_argument("--speed", type=_replay_speed, default=1.0, metavar="X",
                        help="1 (default): the recorded timing; 10: ten times faster; 0 or max: as fast as possible")
    replay.add_argument("--json", action="store_true",
                        help="the JSON lines `tui-lab run --json` printed, one event per line")

    check = sub.add_parser("check", parents=[shared],
                           help="verify placeholders, answers, cross-checks and smoke runs")
    check.add_argument("lesson_ids", nargs="*", metavar="LESSON", help="lessons to check (default: all)")
    check.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report")
    check.add_argument("--variants", type=_count, default=None, metavar="N",
                       help="check the sets of numbers 0..N-1 of each lesson whose numbers vary; "
                            "one line per lesson, and its failures")

    answer = sub.add_parser("answer", parents=[shared],
                            help="check an answer as the lab would (progress is not touched)")
    answer.add_argument("target", metavar="LESSON:STEP", help="the step, e.g. gradient-descent:3")
    answer.add_argument("value", metavar="VALUE",
                        help="a number, or for a find-the-error step the wrong lines (2,5,6); a value such "
                             "as -1/7 or -1e-3 goes last, after --: answer --json LESSON:STEP -- -1/7")
    _variant_option(answer, TABLE_VARIANT_HELP)
    answer.add_argument("--json", action="store_true",
                        help='one JSON object: {"verdict": ..., "slip": ..., "message": ...}')

    values = sub.add_parser("values", parents=[shared],
                            help="a lesson's numbers (name = value): a teacher's answer key")
    values.add_argument("lesson", help="lesson id, e.g. gradient-descent")
    _variant_option(values, TABLE_VARIANT_HELP)
    values.add_argument("--json", action="store_true", help="one JSON object: name -> value")

    sub.add_parser("doctor", parents=[shared], help="versions, device, data root, terminal")

    serve = sub.add_parser("serve", parents=[shared], help="serve the lab to web browsers (one lab per tab)")
    serve.add_argument("--host", default=DEFAULT_HOST,
                       help=f"address to listen on (default {DEFAULT_HOST}: this machine only; reach it with ssh -L)")
    serve.add_argument("--port", default=str(DEFAULT_PORT), help=f"port to listen on (default {DEFAULT_PORT})")
    _variant_option(serve, "the set of numbers every tab gets (e.g. 0, the articles', for a lecture; "
                           "default: the lab's own)")
    serve.add_argument("--class", dest="class_dir", metavar="DIR",
                       help="serve the class view of the shared progress folder DIR instead of the lab")

    class_view = sub.add_parser("class", help="a live view of a class's shared progress folder (for the teacher)")
    class_view.add_argument("folder", metavar="DIR", help="the folder students share their progress into")
    class_view.add_argument("--interval", type=float, default=2.0, metavar="S",
                            help="seconds between looks at the folder (default 2)")

    new_lesson = sub.add_parser("new-lesson", help="create a lesson from a template that passes `tui-lab check`")
    new_lesson.add_argument("name", metavar="NAME", help="lesson id and folder name: lowercase letters, digits, dashes")
    new_lesson.add_argument("--dir", metavar="DIR", default=None,
                            help="where to create it (default: ./lessons if that folder exists, else .)")

    reset = sub.add_parser("reset", parents=[shared], help="forget progress: one lesson, or --all")
    reset.add_argument("lesson", nargs="?", help="lesson id whose progress to forget")
    reset.add_argument("--all", action="store_true", help="forget the progress of every lesson")
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    progress = sub.add_parser("progress", parents=[shared],
                              help="your progress (to hand in), or a class summary with --dir")
    progress.add_argument("--export", choices=["csv", "json"], help="write it as CSV or JSON")
    progress.add_argument("--output", metavar="FILE", help="write to FILE instead of the screen")
    progress.add_argument("--share", metavar="DIR", help="copy your progress into a shared class folder")
    progress.add_argument("--dir", metavar="SHARED_DIR", help="summarise every student's file in SHARED_DIR")
    return parser
