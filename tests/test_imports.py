"""The layering rules, checked the only honest way: a fresh interpreter per rule."""

import subprocess
import sys

from engines.core import registry

from conftest import ROOT


def modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True, text=True, cwd=ROOT, check=True,
    ).stdout
    return set(out.split())


def test_ui_start_up_path_does_not_import_torch():
    loaded = modules_after("import tui_lab.app, tui_lab.cli")
    assert "tui_lab.app" in loaded
    assert "torch" not in loaded
    assert "plotext" not in loaded  # drawn lazily, after the first paint


def test_engines_never_import_textual():
    modules = sorted({target.partition(":")[0] for target in
                      [*registry.ENGINES.values(), *registry.VALUES.values(), *registry.CHECKS.values()]})
    loaded = modules_after("import engines, engines.core.worker, engines.core.runtime, engines.core.device\n"
                           + "\n".join(f"import {m}" for m in modules))
    assert "engines.core.worker" in loaded
    assert not any(name == "textual" or name.startswith("textual.") for name in loaded)


def test_engine_modules_import_torch_only_when_running():
    modules = sorted({target.partition(":")[0] for target in registry.ENGINES.values()})
    loaded = modules_after("\n".join(f"import {m}" for m in modules))
    assert "torch" not in loaded


def test_lesson_values_are_computed_without_torch():
    code = (
        "from lessons import load_catalog\nfrom lessons.values import lesson_values\n"
        "for lesson in load_catalog().lessons:\n    assert lesson_values(lesson) is not None\n"
    )
    loaded = modules_after(code)
    assert "torch" not in loaded
