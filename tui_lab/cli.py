"""``tui-lab``: open the lab, or use its engines headless (list, run, check, doctor, …)."""

from __future__ import annotations

import os
import sys
from argparse import Namespace
from typing import IO

from engines.core.device import DeviceError, parse_device
from engines.core.params import ParamError, parse_assignments
from lab_i18n import set_language
from tui_lab.contract import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError
from tui_lab.options import build_parser
from tui_lab.refresh import SERVED, TERMINAL, over_ssh, served

SSH_FPS = 30  # screen repaints a second over SSH: every frame crosses the network


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Every sentence printed or shown from here on, and the engines' workers; `check` reports
    # to lesson authors in English, and its --lang names the translation to verify.
    set_language("en" if args.command == "check" else args.lang)
    try:
        parse_device(args.device)
    except DeviceError as error:
        print(f"tui-lab: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.command is None:
        return open_lab(args)
    if args.command == "serve":
        from tui_lab.config import ENV_VARIANT
        from tui_lab.serve import serve

        if args.variant is not None:  # every tab's lab reads it, as it would from the student's shell
            os.environ[ENV_VARIANT] = str(args.variant)
        return serve(args.host, args.port, device=args.device, data_dir=args.data_dir, lessons=args.lessons,
                     lang=args.lang, class_dir=args.class_dir)
    if args.command == "class":
        from tui_lab.class_view import run_class_view

        return run_class_view(args.folder, args.interval)
    if args.command == "new-lesson":
        return _new_lesson(args)
    try:
        return _lesson_command(args)
    except (UsageError, ParamError) as error:
        print(f"tui-lab: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `tui-lab run ... --json | head` is fine
        return EXIT_OK


def open_lab(args: Namespace) -> int:
    """The lab's window: in a terminal, or in a browser tab that ``tui-lab serve`` (or
    textual-dev's ``textual serve``) started, whose lab takes in events and redraws less often."""
    if over_ssh():
        os.environ.setdefault("TEXTUAL_FPS", str(SSH_FPS))  # Textual reads it once, when imported below
    from tui_lab.app import run_app  # Textual is imported only when the lab opens (make_app breaks Chinese lines)

    return run_app(device=args.device, data_dir=args.data_dir, lesson_dirs=args.lessons, lang=args.lang,
                   start_from=args.start_from, refresh=SERVED if served() else TERMINAL, variant=args.variant)


def _new_lesson(args: Namespace) -> int:
    from lessons.scaffold import ScaffoldError, create_lesson, next_steps

    try:
        folder = create_lesson(args.name, args.dir)
    except ScaffoldError as error:
        print(f"tui-lab: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(next_steps(folder))
    return EXIT_OK


def _lesson_command(args: Namespace) -> int:
    """The commands that work on the lesson catalogue."""
    from lessons import load_catalog
    from tui_lab import answer_cli, checkup, headless, progress_cli, values_cli

    # `check` always starts from English and verifies the translations against it.
    catalog = load_catalog(args.lessons, lang="en" if args.command == "check" else args.lang)
    out = sys.stdout
    if args.lang != "en":
        from tui_lab.cjk_wrap import install

        install(textual=False)  # the run's sentences wrap as Chinese wraps, in Rich's output
    if args.command == "list":
        return headless.cmd_list(catalog, out)
    if args.command == "run":
        return headless.cmd_run(catalog, args.lesson, args.step, parse_assignments(args.param), args.device,
                                args.data_dir, args.json, out, record=args.record, nproc=args.nproc,
                                csv_path=args.csv, graph=args.graph)
    if args.command == "replay":
        return headless.cmd_replay(args.file, args.speed, args.json, out)
    if args.command == "check":
        device = "cpu" if args.device == "auto" else args.device
        # In another language the interface comes first: the lessons' summary line stays last.
        interface = _check_interface(args.lang, out) if args.lang != "en" else EXIT_OK
        return max(interface, checkup.cmd_check(catalog, args.lesson_ids, args.junit, device, out,
                                                variants=args.variants))
    if args.command == "answer":
        return answer_cli.cmd_answer(catalog, args.target, args.value, args.json, out, variant=args.variant or 0)
    if args.command == "values":
        return values_cli.cmd_values(catalog, args.lesson, args.variant, args.json, out, sys.stderr)
    if args.command == "doctor":
        return checkup.cmd_doctor(catalog, args.device, args.data_dir, out)
    if args.command == "reset":
        return progress_cli.cmd_reset(catalog, args.lesson, args.all, args.yes, out)
    if args.command == "progress":
        return progress_cli.cmd_progress(catalog, args.export, args.output, args.share, args.dir, out,
                                         variant=args.variant)
    raise AssertionError(f"no handler for the command {args.command!r}")


def _check_interface(lang: str, out: IO[str]) -> int:
    """``check --lang LANG``: also every interface message in LANG, one line per one missing
    (or whose placeholders differ from the English)."""
    from lessons.check import interface_cases

    cases = interface_cases(lang)
    for case in cases:
        out.write(f"{'ok  ' if case.ok else 'FAIL'} {case.lesson} {case.name}"
                  + (f" — {case.message}" if case.message else "") + "\n")
    failed = sum(not c.ok for c in cases)
    if failed:
        out.write(f"{failed} interface messages without a faithful {lang} translation\n")
    return EXIT_FAILED if failed else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
