"""Imports flow one way: app.py -> pages -> components -> genolens (DESIGN.md §2, STYLE.md 1, 4); heavy libraries
stay in the modules that need them; genolens has no import cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "genolens"

# Inside genolens: workflows -> present -> explain -> modeling -> genome -> datamodel/errors/provenance.
# A module may import its own layer or a lower one. The CLI sits above every layer.
LAYER_RANK = {
    "genolens": 0, "genolens.datamodel": 0, "genolens.errors": 0, "genolens.provenance": 0,
    "genolens.genome": 1, "genolens.modeling": 2, "genolens.explain": 3, "genolens.present": 4,
    "genolens.workflows": 5, "genolens.cohort": 6, "genolens.cli": 6, "genolens.__main__": 6,
}
FRONT_END = ("streamlit", "components", "pages", "app")


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _python_files(*tops: str, root: Path = ROOT) -> list[Path]:
    files: list[Path] = []
    for top in tops:
        p = root / top
        files.extend([p] if p.is_file() else sorted(p.rglob("*.py")) if p.is_dir() else [])
    return files


def _imports(path: Path, root: Path = ROOT) -> Iterator[tuple[int, str]]:
    """Yield (line, absolute module name) for every import in ``path``, relative ones resolved.

    ``from a import b`` yields ``a.b`` when ``a/b`` is a module or package of the project, else ``a``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = _module_name(path, root)
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
                is_module = (root / sub.replace(".", "/")).with_suffix(".py").is_file() or (
                    root / sub.replace(".", "/")).is_dir()
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


def test_layer_checker_sees_relative_and_from_imports() -> None:
    """The AST walk resolves the import forms the checks rely on (guards the checker itself)."""
    sample = ROOT / "genolens" / "genome" / "vcf.py"
    found = {m for _, m in _imports(sample)}
    assert "genolens.errors" in found
    assert "genolens.datamodel" in found
    assert "cyvcf2" in found


def _library_offenders(library: str, allowed: tuple[str, ...]) -> list[str]:
    """Every import of ``library`` in the product code (genolens, components, pages, app.py) from a file whose
    path (relative to the root, '/'-separated) matches none of the ``allowed`` glob patterns."""
    return [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _python_files("genolens", "components", "pages", "app.py")
        if not any(path.relative_to(ROOT).match(pattern) for pattern in allowed)
        for line, module in _imports(path)
        if _top(module) == library
    ]


@pytest.mark.parametrize("path", _python_files("pages", "app.py"), ids=lambda p: p.name)
def test_pages_import_only_components_and_streamlit(path: Path) -> None:
    """A page (and the router) lays out what components give it; it never reaches into genolens (DESIGN.md §2)."""
    bad = [f"{path.relative_to(ROOT)}:{line} imports {module}" for line, module in _imports(path)
           if _top(module) not in ("components", "streamlit", "__future__")]
    assert not bad, f"a page may import only components and streamlit: {bad}"


@pytest.mark.parametrize(("library", "allowed"), [
    ("torch", ("genolens/modeling/*.py", "genolens/explain/*.py")),
    ("captum", ("genolens/explain/*.py",)),
    ("cyvcf2", ("genolens/genome/vcf*.py",)),
    ("plotly", ("genolens/present/figures*.py", "components/*.py")),
])
def test_heavy_libraries_are_imported_only_where_they_belong(library: str, allowed: tuple[str, ...]) -> None:
    offenders = _library_offenders(library, allowed)
    assert not offenders, f"{library} may be imported only in {', '.join(allowed)}: {offenders}"


def _import_graph(package: str = "genolens", root: Path = ROOT) -> dict[str, set[str]]:
    """genolens module -> the genolens modules it imports anywhere in its file: at the top, inside functions,
    under ``if TYPE_CHECKING:`` (ast.walk sees every import statement). ``from a.b import c`` points at ``a.b.c``
    when that is a module, else at ``a.b`` (a package means its __init__)."""
    modules = {_module_name(p, root): p for p in _python_files(package, root=root)}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for _line, target in _imports(path, root):
            parts = target.split(".")
            owner = next((".".join(parts[:n]) for n in range(len(parts), 0, -1) if ".".join(parts[:n]) in modules),
                         None)
            if owner is not None and owner != name:
                graph[name].add(owner)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path that returns to its start) per strongly connected component of two or more modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm; genolens has a few dozen modules, recursion is fine
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    cycles = []
    for comp in components:  # walk inside the component from its first module back to it (breadth first)
        start, members = comp[0], set(comp)
        paths = {start: [start]}
        queue = [start]
        cycle: list[str] = []
        while queue and not cycle:
            v = queue.pop(0)
            for w in sorted(graph[v] & members):
                if w == start:
                    cycle = [*paths[v], start]
                    break
                if w not in paths:
                    paths[w] = [*paths[v], w]
                    queue.append(w)
        cycles.append(cycle)
    return cycles


def test_cycle_finder_finds_a_known_cycle_and_no_false_one() -> None:
    """Guards the checker: a -> b -> c -> a is found as that path; a DAG with a diamond gives nothing."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": set()}) == []


def test_import_graph_sees_imports_inside_functions_and_type_checking_blocks(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from pkg.b import g\n    return g\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import c\ng = 1\n")
    (pkg / "c.py").write_text("import pkg.a\nimport json\n")
    graph = _import_graph("pkg", root=tmp_path)
    assert graph == {"pkg": set(), "pkg.a": {"pkg.b"}, "pkg.b": {"pkg.c"}, "pkg.c": {"pkg.a"}}
    assert _cycles(graph) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]
    real = _import_graph()
    assert {"genolens.errors", "genolens.datamodel"} <= real["genolens.genome.vcf"] and len(real) > 30


def test_genolens_has_no_import_cycle() -> None:
    """No circle of imports inside genolens, counting imports in functions and under TYPE_CHECKING (a
    function-level import hides a circle from Python but not from a reader)."""
    cycles = _cycles(_import_graph())
    assert not cycles, "import cycles in genolens:\n" + "\n".join(" -> ".join(c) for c in cycles)
