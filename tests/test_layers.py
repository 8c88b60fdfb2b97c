"""The layers import only downwards (DESIGN.md section 3): pages never import the HTTP API, and
the domain (services, models, schemas, spatial, maps) imports neither. Found by walking the
import statements of every module under app/ (not by running them)."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app"
# package -> packages it must not import (directly, by any import statement)
FORBIDDEN = {
    "app.web": ("app.api",),
    "app.http": ("app.api", "app.web"),
    "app.services": ("app.api", "app.web", "app.http"),
    "app.models": ("app.api", "app.web", "app.http", "app.services"),
    "app.schemas": ("app.api", "app.web", "app.http"),
    "app.spatial": ("app.api", "app.web", "app.http", "app.services"),
    "app.maps": ("app.api", "app.web", "app.http", "app.services", "app.models"),
    # Encoders see rows and features only: every layer above may use them.
    "app.formats": (
        "app.api",
        "app.web",
        "app.http",
        "app.services",
        "app.models",
        "app.schemas",
        "app.spatial",
        "app.maps",
        "app.db",
    ),
}


def module_name(path: Path, root: Path = APP) -> str:
    """The dotted name of a module file under app/ (or a copy of it at `root`)."""
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, root: Path = APP) -> set[str]:
    """Every module an import statement of the file names (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = module_name(path, root)
    package = name.rsplit(".", 1)[0] if path.name != "__init__.py" else name
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def violations(root: Path = APP) -> list[str]:
    """'module imports forbidden' for every import that crosses a layer upwards."""
    found = []
    for path in sorted(root.rglob("*.py")):
        name = module_name(path, root)
        for layer, forbidden in FORBIDDEN.items():
            if name != layer and not name.startswith(layer + "."):
                continue
            for target in sorted(imported(path, root)):
                if any(target == f or target.startswith(f + ".") for f in forbidden):
                    found.append(f"{name} imports {target}")
    return found


def test_no_layer_imports_one_above_it() -> None:
    assert violations() == []


def test_the_walk_sees_imports_of_every_form(tmp_path: Path) -> None:
    # A probe in a tree of its own: never in app/, where other tests (run at the same time)
    # walk and import the page modules.
    root = tmp_path / "app"
    (root / "web").mkdir(parents=True)
    sample = root / "web" / "_layer_probe.py"
    sample.write_text(
        "import app.api.people\nfrom app.api import deps\nfrom ..api.access import PUBLIC\n",
        encoding="utf-8",
    )
    assert imported(sample, root) >= {"app.api.people", "app.api", "app.api.access"}
    assert [v for v in violations(root) if v.startswith("app.web._layer_probe")]
