"""The package's folders are its layers (docs/design.md): every import goes down the list below or stays in its own
layer, and only the page (`sphere_toy.ui`) imports Streamlit."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sphere_toy"

# Top to bottom: a module may import its own layer and the layers under it, never one above.
LAYERS = (
    ("ui", "__main__"),  # the page and the command line
    ("serving",),  # the queue, a run's cost, the server's start and its drawing
    ("lessons", "views"),  # the lesson path; the table of views
    ("plots",),  # figures and the texts beside them
    ("analysis",),  # what a run measures, numbers only
    ("experiment",),  # the experiment as one value: limits, the URL's text, presets
    ("train",),  # the compiled training grid
    ("data", "core"),  # the datasets; the losses, their registry and the net
    ("i18n", "safe_text", "errors", ""),  # languages; text from outside; a setting out of range; the package itself
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _modules() -> dict[str, pathlib.Path]:
    """Every module of the package by its dotted name under sphere_toy ("" for the package itself)."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(path: pathlib.Path) -> set[str]:
    """The top-level packages a module imports, and its imports within sphere_toy (dotted, under it)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _layer(dotted: str) -> int:
    return RANK[dotted.split(".")[0]]


def test_every_module_has_a_layer():
    assert all(name.split(".")[0] in RANK for name in _modules()), sorted(_modules())


def test_imports_only_go_down():
    modules = _modules()
    upward = []
    for name, path in modules.items():
        for imported in _imports(path):
            if imported == "sphere_toy" or not imported.startswith("sphere_toy."):
                continue
            target = imported.removeprefix("sphere_toy.")
            if target in modules and _layer(target) < _layer(name):
                upward.append(f"{name} imports {target}")
    assert not upward, upward


def test_only_the_page_imports_streamlit():
    users = [
        name
        for name, path in _modules().items()
        if any(i == "streamlit" or i.startswith("streamlit.") for i in _imports(path))
    ]
    assert users and all(name.split(".")[0] == "ui" for name in users), users
