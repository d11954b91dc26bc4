"""``tui-lab``: open the lab, or use its engines headless (list, run, check, doctor)."""

from __future__ import annotations

import argparse
import os
import sys

from engines.device import DeviceError, parse_device

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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("list", parents=[common], help="one line per lesson: id and title")

    run = sub.add_parser("run", parents=[common], help="run a lesson's engine without the UI")
    run.add_argument("lesson", help="lesson id, e.g. gradient-descent")
    run.add_argument("--step", type=int, default=None, help="which run step (default: the first)")
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="override a run parameter (repeatable)")
    run.add_argument("--json", action="store_true", help="JSON lines, one event per line")

    check = sub.add_parser("check", parents=[common],
                           help="verify placeholders, answers, cross-checks and smoke runs")
    check.add_argument("lesson_ids", nargs="*", metavar="LESSON", help="lessons to check (default: all)")
    check.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report")

    sub.add_parser("doctor", parents=[common], help="versions, device, data root, terminal")
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

        return run_app(device=args.device, data_dir=args.data_dir, lesson_dirs=args.lessons, lang=args.lang)

    from engines.params import ParamError, parse_assignments
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
                                    args.data_dir, args.json, out)
        if args.command == "check":
            device = "cpu" if args.device == "auto" else args.device
            return headless.cmd_check(catalog, args.lesson_ids, args.junit, device, out)
        if args.command == "doctor":
            return headless.cmd_doctor(catalog, args.device, args.data_dir, out)
    except (headless.UsageError, ParamError) as error:
        print(f"tui-lab: {error}", file=sys.stderr)
        return headless.EXIT_USAGE
    except BrokenPipeError:  # `tui-lab run ... --json | head` is fine
        return headless.EXIT_OK
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
