"""The lab's shape, read by tools/structure.py and checked against a real import."""

import importlib.util
import json
import subprocess
import sys
import textwrap

from conftest import ROOT


def load_tool():
    spec = importlib.util.spec_from_file_location("lab_structure", ROOT / "tools" / "structure.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


structure_tool = load_tool()
STRUCTURE = structure_tool.scan(ROOT)


def test_there_are_no_import_cycles():
    cycles = [" → ".join(STRUCTURE.cycle_path(c)) for c in STRUCTURE.cycles()]
    assert cycles == []


def test_layer_arrows_point_one_way():
    assert STRUCTURE.wrong_way() == []
    assert ("engines", "lessons") not in STRUCTURE.package_edges()
    assert ("tui_lab", "engines") in STRUCTURE.package_edges()  # the scan sees across layers at all


def test_the_tool_resolves_every_kind_of_import(tmp_path):
    package = tmp_path / "engines"
    (package / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "sub/__init__.py": "from . import b\n",
        "sub/b.py": "def f():\n    from ..c import thing\n",  # relative, inside a function
        "c.py": "import engines.sub\nfrom engines.sub import b\n",
        "d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import engines.c\n",
    }
    for name, text in files.items():
        (package / name).write_text(text)
    found = structure_tool.scan(tmp_path, packages=("engines",))
    assert found.imports["engines.sub"] == {"engines.sub.b": 1}
    assert found.imports["engines.sub.b"] == {"engines.c": 2}
    assert found.imports["engines.c"] == {"engines.sub": 1, "engines.sub.b": 2}
    assert found.imports["engines.d"] == {}  # never runs
    assert [" → ".join(found.cycle_path(c)) for c in found.cycles()] == [
        "engines.c → engines.sub.b → engines.c"  # the shortest circle of the three
    ]


def test_the_tool_exits_1_and_names_a_wrong_way_arrow(tmp_path):
    for layer, text in (("tui_lab", ""), ("lessons", ""), ("engines", "import tui_lab.app\n")):
        (tmp_path / layer).mkdir()
        (tmp_path / layer / "__init__.py").write_text("")
        (tmp_path / layer / "app.py").write_text(text)
    found = structure_tool.scan(tmp_path)
    assert found.wrong_way() == [("engines.app", "tui_lab.app", 1)]
    assert "wrong way: engines.app imports tui_lab.app (engines/app.py:1)" in structure_tool.report(found)


def test_the_tool_on_the_tree_prints_the_graph_and_agrees_with_its_exit_status():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "structure.py")],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "tui_lab → " in result.stdout and "Import cycles:" in result.stdout
    broken = bool(STRUCTURE.cycles() or STRUCTURE.wrong_way())
    assert result.returncode == (1 if broken else 0), result.stdout


def test_every_module_imports_in_a_fresh_interpreter_and_loads_only_what_the_scan_found():
    """Each module is imported (in name order, in one interpreter); the project modules it
    newly loads must be ones the static scan says it can reach."""
    modules = sorted(name for name in STRUCTURE.files if not name.endswith("__main__"))
    code = textwrap.dedent("""
        import importlib, json, sys, traceback
        report = {}
        for name in json.loads(sys.argv[1]):
            before = set(sys.modules)
            try:
                importlib.import_module(name)
                report[name] = {"loaded": sorted(set(sys.modules) - before)}
            except BaseException:
                report[name] = {"error": traceback.format_exc(limit=-3)}
        print(json.dumps(report))
    """)
    result = subprocess.run([sys.executable, "-c", code, json.dumps(modules)],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    errors = {name: entry["error"] for name, entry in report.items() if "error" in entry}
    assert errors == {}
    unexplained = {}
    for name, entry in report.items():
        ours = {m for m in entry["loaded"] if m in STRUCTURE.files}
        missing = ours - STRUCTURE.reach(name)
        if missing:
            unexplained[name] = sorted(missing)
    assert unexplained == {}
