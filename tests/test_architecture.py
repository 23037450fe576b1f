"""The walls of ARCHITECTURE.md, checked on the source: a change that breaks one fails here."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINTS = {"auth", "home", "admin", "trail", "screening", "cases", "referrals", "review", "statistics"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _files(folder: str):
    return sorted((ROOT / folder).rglob("*.py"))


def test_the_core_is_pure():
    forbidden = ("flask", "sqlalchemy", "flask_sqlalchemy", "nrm.security", "nrm.models",
                 "nrm.services", "nrm.extensions", "nrm.clock")
    for path in _files("nrm/core"):
        bad = {name for name in _imports(path) if name.startswith(forbidden)}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_forms_never_import_models():
    for path in _files("forms"):
        bad = {name for name in _imports(path) if name.startswith(("nrm.models", "sqlalchemy"))}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_blueprints_never_import_each_other():
    for blueprint in BLUEPRINTS:
        for path in _files(f"nrm/{blueprint}") if (ROOT / "nrm" / blueprint).exists() else []:
            others = {f"nrm.{b}" for b in BLUEPRINTS - {blueprint}}
            bad = {n for n in _imports(path) if any(n == o or n.startswith(o + ".") for o in others)}
            assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_every_module_has_a_docstring():
    for folder in ("nrm", "forms"):
        for path in _files(folder):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if tree.body:
                assert ast.get_docstring(tree), f"{path.relative_to(ROOT)} has no module docstring"


def test_the_instance_folder_holds_only_its_readme_and_example_in_git():
    ignore = (ROOT / ".gitignore").read_text()
    assert "/instance/*" in ignore and "!/instance/README.md" in ignore
