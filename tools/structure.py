"""The lab's structure: which module imports which, layer by layer, and what is too long.

Reads every module of ``tui_lab``, ``lessons``, ``engines`` and ``lab_i18n`` with ``ast`` (nothing is
imported) and prints

* the package graph (how many module imports go from one layer to another) and the
  module graph (each module's imports inside the project);
* the layer arrows: ``tui_lab → lessons → engines → lab_i18n`` — engines never import tui_lab or
  lessons, lessons never import tui_lab, and the message catalogue imports none of them;
* modules longer than 450 lines;
* import cycles (strongly connected components of the module graph).

Every import counts wherever it is written, inside functions too: a function-level import
that closes a circle still runs. Only imports under ``if TYPE_CHECKING:`` are left out,
since they never run. ``from pkg import name`` counts as importing ``pkg.name`` when that
is a module, else ``pkg``; relative imports are resolved.

    python tools/structure.py          # exit status 1 when there is a cycle or a wrong-way arrow
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("tui_lab", "lessons", "engines", "lab_i18n")  # each may import only the ones after it
MAX_LINES = 450


@dataclass
class Structure:
    root: Path
    files: dict[str, Path]  # module name → its file
    lines: dict[str, int]  # module name → line count
    imports: dict[str, dict[str, int]] = field(default_factory=dict)  # module → {imported module: first line}

    def package_edges(self) -> dict[tuple[str, str], int]:
        """(from layer, to layer) → number of module imports between them (within a layer too)."""
        edges: dict[tuple[str, str], int] = {}
        for source, targets in self.imports.items():
            for target in targets:
                key = (layer(source), layer(target))
                edges[key] = edges.get(key, 0) + 1
        return edges

    def wrong_way(self) -> list[tuple[str, str, int]]:
        """(module, imported module, line) for every import against the layer order."""
        return [(source, target, line)
                for source, targets in sorted(self.imports.items())
                for target, line in sorted(targets.items())
                if LAYERS.index(layer(source)) > LAYERS.index(layer(target))]

    def cycles(self) -> list[list[str]]:
        """The import cycles: strongly connected components of more than one module (or a
        module that imports itself), each sorted, in sorted order."""
        return sorted(sorted(c) for c in _components(self.imports)
                      if len(c) > 1 or next(iter(c)) in self.imports.get(next(iter(c)), {}))

    def cycle_path(self, component: list[str]) -> list[str]:
        """The shortest circle from the component's first module back to it: a → b → … → a."""
        start, members = component[0], set(component)
        came_from: dict[str, str] = {}
        queue = [start]
        for node in queue:  # breadth first: the queue grows while it is walked
            for target in sorted(self.imports.get(node, {})):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return path[::-1] + [start]
                if target in members and target not in came_from:
                    came_from[target] = node
                    queue.append(target)
        return [start]

    def long_modules(self, limit: int = MAX_LINES) -> list[tuple[str, int]]:
        return sorted(((m, n) for m, n in self.lines.items() if n > limit), key=lambda item: -item[1])

    def reach(self, module: str) -> set[str]:
        """Every project module that importing ``module`` may load: its imports, theirs, and
        the packages above each (Python runs a package's ``__init__`` before its modules)."""
        seen: set[str] = set()
        todo = [module]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            todo.extend(self.imports.get(name, {}))
            todo.extend(parent for parent in _parents(name) if parent in self.files)
        return seen


def layer(module: str) -> str:
    return module.partition(".")[0]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def scan(root: Path = ROOT, packages: tuple[str, ...] = LAYERS) -> Structure:
    files = {module_name(path, root): path
             for package in packages
             for path in sorted((root / package).rglob("*.py")) if "__pycache__" not in path.parts}
    structure = Structure(root=root, files=files, lines={})
    for name, path in files.items():
        text = path.read_text(encoding="utf-8")
        structure.lines[name] = len(text.splitlines())
        is_package = path.name == "__init__.py"
        found: dict[str, int] = {}
        for target, line in _imports(ast.parse(text, filename=str(path)), name, is_package):
            resolved = _project_module(target, files)
            if resolved is not None and resolved != name:
                found.setdefault(resolved, line)
        structure.imports[name] = found
    return structure


def _imports(tree: ast.AST, module: str, is_package: bool):
    """(dotted name, line) for every import that can run, at any depth."""
    for node in _runnable_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, module, is_package)
            for alias in node.names:
                # `from pkg import x`: the module pkg.x if there is one, else pkg (resolved later).
                yield (base if alias.name == "*" else f"{base}.{alias.name}"), node.lineno
        elif isinstance(node, ast.Call) and _is_import_module(node.func) and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            yield node.args[0].value, node.lineno


def _runnable_nodes(tree: ast.AST):
    """Every node, except the bodies of ``if TYPE_CHECKING:`` (never run)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _is_import_module(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id == "import_module") or \
        (isinstance(func, ast.Attribute) and func.attr == "import_module")


def _absolute(name: str | None, level: int, module: str, is_package: bool) -> str:
    if not level:
        return name or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _project_module(name: str, files: dict[str, Path]) -> str | None:
    """The longest leading part of ``name`` that is a project module (None: not ours)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in files:
            return candidate
        parts.pop()
    return None


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _components(graph: dict[str, dict[str, int]]) -> list[set[str]]:
    """Tarjan's strongly connected components, without recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, {}))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            advanced = False
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, {})))))
                    advanced = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                found.append(component)
    return found


def report(structure: Structure) -> str:
    out = ["Packages (module imports from → to):"]
    edges = structure.package_edges()
    for source in LAYERS:
        targets = [f"{target} ({edges[source, target]})" for target in LAYERS if (source, target) in edges]
        out.append(f"  {source} → {', '.join(targets) or 'nothing'}")
    out.append("")
    out.append("Modules (imports inside the project):")
    for name in sorted(structure.files):
        targets = sorted(structure.imports[name])
        out.append(f"  {name} → {', '.join(targets) or 'nothing'}")
    out.append("")
    out.append(f"Layers ({' → '.join(LAYERS)}):")
    wrong = structure.wrong_way()
    out += [f"  wrong way: {s} imports {t} ({structure.files[s].relative_to(structure.root)}:{line})" for s, t, line in wrong] \
        or ["  every arrow points one way"]
    out.append("")
    out.append(f"Modules over {MAX_LINES} lines:")
    out += [f"  {structure.files[m].relative_to(structure.root)}: {n} lines" for m, n in structure.long_modules()] or ["  none"]
    out.append("")
    out.append("Import cycles:")
    cycles = structure.cycles()
    out += [f"  {' → '.join(structure.cycle_path(c))}" + (f" (cycle among {', '.join(c)})" if len(c) > 2 else "")
            for c in cycles] or ["  none"]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    structure = scan()
    print(report(structure))
    return 1 if structure.cycles() or structure.wrong_way() else 0


if __name__ == "__main__":
    sys.exit(main())
