"""The package's stages import only downward: record < timing < models < inference < figures <
reports (a lower stage takes settings as arguments rather than importing the plan)."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "src" / "analysis"
STAGES = ("record", "timing", "models", "inference", "figures", "reports")
#: Lazy shims that keep moved names reachable from their old module (``__getattr__`` only).
SHIMS = {("timing/sensitivity.py", "inference"), ("timing/dyadic.py", "inference")}


def _imports(tree: ast.AST) -> list[tuple[str, str]]:
    """(module imported, enclosing function or '') for every import in a module."""
    out: list[tuple[str, str]] = []

    def visit(node: ast.AST, func: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else func
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                out.append((child.module, name))
                out.extend((f"{child.module}.{a.name}", name) for a in child.names)
            elif isinstance(child, ast.Import):
                out.extend((a.name, name) for a in child.names)
            visit(child, name)

    visit(tree, "")
    return out


def _violations(pkg: Path = PKG) -> list[str]:
    bad = []
    for path in sorted(pkg.rglob("*.py")):
        rel = path.relative_to(pkg).as_posix()
        stage = rel.split("/")[0]
        if stage not in STAGES:
            continue
        for module, func in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            parts = module.split(".")
            if len(parts) < 2 or parts[0] != "analysis" or parts[1] not in STAGES:
                continue
            target = parts[1]
            if STAGES.index(target) <= STAGES.index(stage):
                continue
            if (rel, target) in SHIMS and func == "__getattr__":
                continue
            bad.append(f"{rel} ({func or 'module level'}) imports {module}")
    return sorted(set(bad))


def test_no_stage_imports_a_higher_one():
    assert _violations() == []


def test_the_check_sees_a_violation(tmp_path):
    fake = tmp_path / "analysis"
    (fake / "record").mkdir(parents=True)
    (fake / "record" / "x.py").write_text("def f():\n    from analysis.inference import plan\n")
    (fake / "timing").mkdir()
    (fake / "timing" / "ok.py").write_text("from analysis.record import data\n")
    assert _violations(fake) == ["record/x.py (f) imports analysis.inference",
                                 "record/x.py (f) imports analysis.inference.plan"]  # fmt: skip
