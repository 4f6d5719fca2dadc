"""Imports flow one way: app.py -> pages -> components -> genolens (DESIGN.md §2, STYLE.md 1, 4)."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "genolens"

# Inside genolens: present -> explain -> modeling -> genome -> types/errors. A module may import
# its own layer or a lower one. Front ends inside the package (cli, cohort) sit above every layer.
LAYER_RANK = {
    "genolens": 0, "genolens.datamodel": 0, "genolens.errors": 0,
    "genolens.genome": 1, "genolens.modeling": 2, "genolens.explain": 3, "genolens.present": 4,
    "genolens.cli": 5, "genolens.cohort": 5, "genolens.__main__": 5,
}
FRONT_END = ("streamlit", "components", "pages", "app")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _python_files(*tops: str) -> list[Path]:
    files: list[Path] = []
    for top in tops:
        p = ROOT / top
        files.extend([p] if p.is_file() else sorted(p.rglob("*.py")) if p.is_dir() else [])
    return files


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line, absolute module name) for every import in ``path``, relative ones resolved.

    ``from a import b`` yields ``a.b`` when ``a/b`` is a module or package of the project, else ``a``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                is_module = (ROOT / sub.replace(".", "/")).with_suffix(".py").is_file() or (
                    ROOT / sub.replace(".", "/")).is_dir()
                yield node.lineno, sub if is_module else base


def _top(module: str) -> str:
    return module.split(".")[0]


def _rank(module: str) -> int | None:
    """Layer rank of a genolens module (its longest known prefix), None outside genolens."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in LAYER_RANK:
            return LAYER_RANK[prefix]
    return None


def test_importing_genolens_never_imports_streamlit() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import genolens\n"
        "for m in pkgutil.walk_packages(genolens.__path__, 'genolens.'):\n"
        "    if m.name != 'genolens.__main__':\n"
        "        importlib.import_module(m.name)\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in ('streamlit', 'components', 'pages'))\n"
        "print(len([k for k in sys.modules if k.startswith('genolens')]), bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, f"importing genolens pulled in a front end:\n{done.stdout}{done.stderr}"


@pytest.mark.parametrize("path", _python_files("genolens"), ids=lambda p: _module_name(p))
def test_genolens_never_imports_a_front_end_or_a_higher_layer(path: Path) -> None:
    own = _rank(_module_name(path))
    assert own is not None, f"{path.relative_to(ROOT)} is in no layer; add it to LAYER_RANK"
    for line, module in _imports(path):
        where = f"{path.relative_to(ROOT)}:{line} imports {module}"
        assert _top(module) not in FRONT_END, f"{where}: the domain must not import a front end"
        target = _rank(module)
        if target is not None:
            assert target <= own, f"{where}: a lower layer imports a higher one"


@pytest.mark.parametrize("path", _python_files("components"), ids=lambda p: _module_name(p))
def test_components_never_import_pages_or_app(path: Path) -> None:
    for line, module in _imports(path):
        assert _top(module) not in ("pages", "app"), f"{path.relative_to(ROOT)}:{line} imports {module}"


def test_only_vcf_module_imports_cyvcf2() -> None:
    allowed = PACKAGE / "genome" / "vcf.py"
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _python_files("genolens", "components", "pages", "app.py")
        if path != allowed
        for line, module in _imports(path)
        if _top(module) == "cyvcf2"
    ]
    assert not offenders, f"cyvcf2 is imported outside genolens/genome/vcf.py: {offenders}"


def test_layer_checker_sees_relative_and_from_imports() -> None:
    """The AST walk resolves the import forms the checks rely on (guards the checker itself)."""
    sample = ROOT / "genolens" / "genome" / "vcf.py"
    found = {m for _, m in _imports(sample)}
    assert "genolens.errors" in found
    assert "genolens.datamodel" in found
    assert "cyvcf2" in found
