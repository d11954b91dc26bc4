"""``tui-lab``: open the lab, or use its engines headless (list, run, check, doctor)."""

from __future__ import annotations

import argparse
import os
import sys

from engines.core.device import DeviceError, parse_device

EXIT_USAGE = 2


def _common(parser: argparse.ArgumentParser, defaults: bool = True) -> None:
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
    parser.add_argument("--lang", default=default("en"), choices=["en", "zh"],
                        help="language of the lesson texts (default en; zh: Simplified Chinese)")


def _speed(text: str) -> float:
    from engines.core.recording import parse_speed

    try:
        return parse_speed(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    _common(common, defaults=False)
    parser = argparse.ArgumentParser(
        prog="tui-lab",
        description="A terminal lab for learning deep learning by doing it. "
        "Without a command, opens the lab.",
    )
    _common(parser)
    from tui_lab import __version__

    parser.add_argument("--version", action="version", version=f"tui-lab {__version__}")
    parser.add_argument("--start-from", metavar="LESSON[:STEP]", default=None,
                        help="open the lab at this lesson (and step), e.g. backprop:4")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("list", parents=[common], help="one line per lesson: id and title")

    run = sub.add_parser("run", parents=[common], help="run a lesson's engine without the UI")
    run.add_argument("lesson", help="lesson id, e.g. gradient-descent")
    run.add_argument("--step", type=int, default=None, help="which run step (default: the first)")
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="override a run parameter (repeatable)")
    run.add_argument("--json", action="store_true", help="JSON lines, one event per line")
    run.add_argument("--nproc", default=None, metavar="N",
                     help="train in N processes with DistributedDataParallel under torchrun (cifar10)")
    run.add_argument("--csv", metavar="FILE", help="also write the run's data (the plots' points) as CSV")
    run.add_argument("--record", metavar="FILE",
                     help="also write the run to FILE (config, device, every event) for `tui-lab replay`")

    replay = sub.add_parser("replay", parents=[common], help="play a recorded run back without the UI")
    replay.add_argument("file", metavar="FILE", help="a recording (.jsonl), or the name of a shipped one")
    replay.add_argument("--speed", type=_speed, default=1.0, metavar="X",
                        help="1 (default): the recorded timing; 10: ten times faster; 0 or max: as fast as possible")
    replay.add_argument("--json", action="store_true",
                        help="the JSON lines `tui-lab run --json` printed, one event per line")

    check = sub.add_parser("check", parents=[common],
                           help="verify placeholders, answers, cross-checks and smoke runs")
    check.add_argument("lesson_ids", nargs="*", metavar="LESSON", help="lessons to check (default: all)")
    check.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report")

    sub.add_parser("doctor", parents=[common], help="versions, device, data root, terminal")

    serve = sub.add_parser("serve", parents=[common], help="serve the lab to web browsers (one lab per tab)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this machine only; reach it with ssh -L)")
    serve.add_argument("--port", default="8000", help="port to listen on (default 8000)")

    new_lesson = sub.add_parser("new-lesson", help="create a lesson from a template that passes `tui-lab check`")
    new_lesson.add_argument("name", metavar="NAME", help="lesson id and folder name: lowercase letters, digits, dashes")
    new_lesson.add_argument("--dir", metavar="DIR", default=None,
                            help="where to create it (default: ./lessons if that folder exists, else .)")

    reset = sub.add_parser("reset", parents=[common], help="forget progress: one lesson, or --all")
    reset.add_argument("lesson", nargs="?", help="lesson id whose progress to forget")
    reset.add_argument("--all", action="store_true", help="forget the progress of every lesson")
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    progress = sub.add_parser("progress", parents=[common],
                              help="your progress (to hand in), or a class summary with --dir")
    progress.add_argument("--export", choices=["csv", "json"], help="write it as CSV or JSON")
    progress.add_argument("--output", metavar="FILE", help="write to FILE instead of the screen")
    progress.add_argument("--share", metavar="DIR", help="copy your progress into a shared class folder")
    progress.add_argument("--dir", metavar="SHARED_DIR", help="summarise every student's file in SHARED_DIR")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        parse_device(args.device)
    except DeviceError as error:
        print(f"tui-lab: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.command is None:
        if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
            os.environ.setdefault("TEXTUAL_FPS", "30")  # modest repaint rate over the network
        from tui_lab.app import run_app  # Textual is imported only when the UI opens

        return run_app(device=args.device, data_dir=args.data_dir, lesson_dirs=args.lessons, lang=args.lang,
                       start_from=args.start_from)

    if args.command == "serve":
        from tui_lab.serve import serve

        return serve(args.host, args.port, device=args.device, data_dir=args.data_dir, lessons=args.lessons,
                     lang=args.lang)
    if args.command == "new-lesson":
        from lessons.scaffold import ScaffoldError, create_lesson, next_steps

        try:
            folder = create_lesson(args.name, args.dir)
        except ScaffoldError as error:
            print(f"tui-lab: {error}", file=sys.stderr)
            return EXIT_USAGE
        print(next_steps(folder))
        return 0

    from engines.core.params import ParamError, parse_assignments
    from lessons import load_catalog
    from tui_lab import headless

    # `check` always starts from English and verifies the translations against it.
    catalog = load_catalog(args.lessons, lang="en" if args.command == "check" else args.lang)
    out = sys.stdout
    try:
        if args.command == "list":
            return headless.cmd_list(catalog, out)
        if args.command == "run":
            overrides = parse_assignments(args.param)
            return headless.cmd_run(catalog, args.lesson, args.step, overrides, args.device,
                                    args.data_dir, args.json, out, record=args.record, nproc=args.nproc,
                                    csv_path=args.csv)
        if args.command == "replay":
            return headless.cmd_replay(args.file, args.speed, args.json, out)
        if args.command == "check":
            device = "cpu" if args.device == "auto" else args.device
            return headless.cmd_check(catalog, args.lesson_ids, args.junit, device, out)
        if args.command == "doctor":
            return headless.cmd_doctor(catalog, args.device, args.data_dir, out)
        if args.command in ("reset", "progress"):
            from tui_lab import progress_cli

            if args.command == "reset":
                return progress_cli.cmd_reset(catalog, args.lesson, args.all, args.yes, out)
            return progress_cli.cmd_progress(catalog, args.export, args.output, args.share, args.dir, out)
    except (headless.UsageError, ParamError) as error:
        print(f"tui-lab: {error}", file=sys.stderr)
        return headless.EXIT_USAGE
    except BrokenPipeError:  # `tui-lab run ... --json | head` is fine
        return headless.EXIT_OK
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
