"""The layers, read from the source with `ast` (nothing here imports the modules it checks).

Runtime (`extract/` except the lab) never imports the lab, the pages, Streamlit or the tests;
pure renderers (`pages/render/`) never import Streamlit; `extract/` has no import cycle.
"""
from __future__ import annotations

import ast
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
LAB = {"extract.learn", "extract.audit", "extract.evaluate", "extract.bench"}
FORBIDDEN_IN_RUNTIME = ("extract.lab", "pages", "streamlit", "tests")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module `path` imports, anywhere (inside functions too), as absolute names;
    `from x import y` counts as x and as x.y (y may be a submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" \
        else module_name(path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return found


def is_within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def runtime_modules() -> list[Path]:
    return [p for p in sorted((ROOT / "extract").rglob("*.py"))
            if module_name(p) not in LAB and not is_within(module_name(p), "extract.lab")]


def test_runtime_never_imports_the_lab_pages_streamlit_or_tests():
    bad = {module_name(p): sorted(n for n in imports(p)
                                  if any(is_within(n, f) for f in FORBIDDEN_IN_RUNTIME))
           for p in runtime_modules()}
    assert not {m: v for m, v in bad.items() if v}


def test_pure_renderers_never_import_streamlit():
    paths = sorted((ROOT / "pages" / "render").rglob("*.py"))
    assert paths, "pages/render/ is missing"
    bad = {module_name(p): sorted(n for n in imports(p) if is_within(n, "streamlit")
                                  or is_within(n, "pages.session") or n == "pages.ui")
           for p in paths}
    assert not {m: v for m, v in bad.items() if v}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph` (as a path that starts and ends on the same module)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node], path = 1, path + [node]
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:  # back on the current path: a cycle
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt, path)):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [])):
            return found
    return None


def import_graph(folder: str) -> dict[str, set[str]]:
    paths = sorted((ROOT / folder).rglob("*.py"))
    names = {module_name(p) for p in paths}
    graph = {}
    for p in paths:
        me = module_name(p)
        # A submodule's own package is imported first anyway; `from . import x` is an edge to x.
        graph[me] = {n for n in imports(p) if n in names and n != me
                     and not me.startswith(n + ".")}
    return graph


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) is not None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_extract_has_no_import_cycle():
    cycle = find_cycle(import_graph("extract"))
    assert cycle is None, " → ".join(cycle)


def test_pages_have_no_import_cycle():
    cycle = find_cycle(import_graph("pages"))
    assert cycle is None, " → ".join(cycle)


def test_an_upload_process_loads_no_training_code():
    """Extracting a policy as the app and the CLI do imports no lab module (issue 14)."""
    from tests.core_fixtures import run_python
    code = ("import sys, warnings; warnings.simplefilter('ignore')\n"
            "from extract.pipeline import Extractor\n"
            "ex = Extractor(cache=False)('data/seeds/itechno.txt')\n"
            "assert ex.facts['rights.access'].fact_id == 'rights.access'\n"
            "lab = ('extract.lab', 'extract.learn', 'extract.audit', 'extract.evaluate', "
            "'extract.bench')\n"
            "print(sorted(m for m in sys.modules if m.startswith(lab)))")
    out = run_python(code, env={"HF_HUB_OFFLINE": "1"}, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout
