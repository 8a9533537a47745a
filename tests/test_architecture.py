"""The shape of the code: the import graph of our own modules has no circle and no arrow pointing up
the layers, no module grows past a readable length, and the labels have one home.

The graph is read from the source (`ast`), every `import` and `from ... import` wherever it stands,
inside functions too: an import delayed into a function still ties the two modules together."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "extensions", "models", "services", "blueprints", "app", "cli", "worker")
# Lowest first; a module may import its own layer and the ones below, never one above.
LAYERS = {"config": 0, "extensions": 0, "models": 1, "services": 2, "blueprints": 3, "app": 4, "cli": 4,
          "worker": 5}
LAYER_NAMES = {0: "config/extensions", 1: "models", 2: "services", 3: "blueprints", 4: "app/cli", 5: "worker"}
MAX_LINES = 450
LONG_FILE_DIRS = ("services", "blueprints")
LABELS_HOME = "services/labels.py"


@dataclass(frozen=True)
class Arrow:
    source: str      # importing module, dotted
    target: str      # imported module, dotted
    where: str       # file:line of the import statement

    def __str__(self) -> str:
        return f"{self.where}: {self.source} -> {self.target}"


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Our modules by dotted name: the packages' files and the top-level scripts."""
    found = {}
    for name in PACKAGES:
        single = root / f"{name}.py"
        if single.is_file():
            found[name] = single
        elif (root / name).is_dir():
            for path in sorted((root / name).rglob("*.py")):
                parts = path.relative_to(root).with_suffix("").parts
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                found[".".join(parts)] = path
    return found


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _resolve(name: str, modules: dict) -> str | None:
    """The longest of our modules that `name` (a dotted import path) lies in, if any."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def imports_of(module: str, path: Path, modules: dict, root: Path = ROOT) -> list[Arrow]:
    """Every arrow from `module` to another of our modules (or to itself)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if _is_package(path) else module.rpartition(".")[0]
    arrows = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [_resolve(alias.name, modules) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:   # relative: from . import x / from ..y import z
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                # `from services import clock` imports the module services.clock;
                # `from services.clock import now` imports services.clock.
                targets.append(_resolve(f"{origin}.{alias.name}", modules))
        where = f"{path.relative_to(root)}:{getattr(node, 'lineno', '?')}"
        arrows += [Arrow(module, target, where) for target in dict.fromkeys(targets) if target]
    return arrows


def _is_blueprint_pattern(arrow: Arrow) -> bool:
    """A blueprint's routes taking `bp` from their own package, whose __init__ imports the routes
    at its end: Flask's documented pattern, and not a circle between two jobs."""
    return arrow.target != arrow.source and arrow.source.startswith(arrow.target + ".")


def import_graph(root: Path = ROOT) -> list[Arrow]:
    modules = module_files(root)
    return [arrow for module, path in modules.items() for arrow in imports_of(module, path, modules, root)]


def circles(arrows: list[Arrow]) -> list[list[str]]:
    """The strongly connected components of more than one module, and every module importing itself
    (Tarjan's algorithm)."""
    graph: dict[str, set] = {}
    for arrow in arrows:
        graph.setdefault(arrow.source, set()).add(arrow.target)
        graph.setdefault(arrow.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def layer_of(module: str) -> int:
    return LAYERS[module.split(".")[0]]


def upward(arrows: list[Arrow]) -> list[Arrow]:
    return [arrow for arrow in arrows if layer_of(arrow.target) > layer_of(arrow.source)]


def _describe_circles(found: list[list[str]], arrows: list[Arrow]) -> str:
    lines = []
    for component in found:
        members = set(component)
        lines.append("circle: " + ", ".join(component))
        lines += [f"    {arrow}" for arrow in arrows if arrow.source in members and arrow.target in members]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the checks

def test_the_import_graph_has_no_circle():
    arrows = [arrow for arrow in import_graph() if not _is_blueprint_pattern(arrow)]
    found = circles(arrows)
    assert not found, "Import circles (break each by moving the shared part down a layer, or a signal):\n" + \
        _describe_circles(found, arrows)


def test_every_import_points_down_the_layers():
    wrong = upward(import_graph())
    assert not wrong, ("Imports that point up the layers (" +
                       " < ".join(dict.fromkeys(LAYER_NAMES.values())) + "):\n" +
                       "\n".join(f"    {arrow}  ({LAYER_NAMES[layer_of(arrow.source)]} imports "
                                 f"{LAYER_NAMES[layer_of(arrow.target)]})" for arrow in wrong))


def test_no_module_in_services_or_blueprints_is_over_450_lines():
    long = {}
    for directory in LONG_FILE_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            count = len(path.read_text(encoding="utf-8").splitlines())
            if count > MAX_LINES:
                long[str(path.relative_to(ROOT))] = count
    assert not long, f"Over {MAX_LINES} lines (split by job):\n" + \
        "\n".join(f"    {name}: {count} lines" for name, count in long.items())


def test_the_labels_have_one_home():
    pattern = re.compile(r"LABELS = \{")
    elsewhere = [f"{path.relative_to(ROOT)}:{number}"
                 for directory in LONG_FILE_DIRS for path in sorted((ROOT / directory).rglob("*.py"))
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if pattern.search(line) and str(path.relative_to(ROOT)) != LABELS_HOME]
    assert not elsewhere, f"Labels defined outside {LABELS_HOME}:\n    " + "\n    ".join(elsewhere)
    assert pattern.search((ROOT / LABELS_HOME).read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- the checks can fail

def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_a_planted_circle_and_upward_import_are_found(tmp_path):
    root = _tree(tmp_path, {
        "config.py": "",
        "models/__init__.py": "from models.org import Unit\n",
        "models/org.py": "Unit = object\n",
        "services/__init__.py": "",
        "services/a.py": "from services import b\n",
        "services/b.py": "def later():\n    from services.c import thing\n",
        "services/c.py": "import services.a as a\nfrom blueprints.ui import LABELS\n",
        "services/own.py": "from services import own\n",
        "services/fine.py": "from models import Unit\nfrom . import a\n",
        "blueprints/__init__.py": "",
        "blueprints/ui.py": "",
        "blueprints/intake/__init__.py": "bp = 1\nfrom blueprints.intake import routes\n",
        "blueprints/intake/routes.py": "from blueprints.intake import bp\nfrom blueprints.ui import x\n",
    })
    arrows = import_graph(root)
    assert Arrow("services.fine", "services.a", "services/fine.py:2") in arrows    # relative import
    kept = [arrow for arrow in arrows if not _is_blueprint_pattern(arrow)]
    assert circles(kept) == [["services.a", "services.b", "services.c"], ["services.own"]]
    assert [(a.source, a.target) for a in upward(arrows)] == [("services.c", "blueprints.ui")]
