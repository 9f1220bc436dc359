"""The package's import graph, read from the source with `ast`: no module may import itself round a cycle.

An edge a -> b means module a imports minisent module b (or something from it). A module importing one of
its own parent packages is not an edge (Python has that package already). Imports inside functions
("lazy" ones) hide cycles from Python, so they are checked separately.
"""
import ast
from pathlib import Path

import pytest

import minisent

ROOT = Path(minisent.__file__).parent


def module_name(path: Path) -> str:
    parts = ("minisent",) + path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in ROOT.rglob("*.py")}


def resolve(name: str) -> str | None:
    """The longest prefix of a dotted name that is a module of the package (None outside it)."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in MODULES:
            return candidate
    return None


def imports(module: str, lazy: bool) -> set[str]:
    """Modules of the package that `module` imports at import time (lazy=False) or anywhere (lazy=True)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if lazy:
        nodes = ast.walk(tree)
    else:                                   # statements outside any function body
        nodes, todo = [], list(tree.body)
        while todo:
            node = todo.pop()
            nodes.append(node)
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                todo.extend(ast.iter_child_nodes(node))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {resolve(a.name) for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(resolve(base))
            found |= {resolve(f"{base}.{a.name}") for a in node.names}   # `from . import data`: a submodule
    ancestors = {".".join(module.split(".")[:n]) for n in range(1, module.count(".") + 1)}
    return {m for m in found if m and m != module and m not in ancestors}


def find_cycle(lazy: bool) -> list[str] | None:
    graph = {m: imports(m, lazy) for m in MODULES}
    state: dict[str, int] = {}          # 1 = on the current path, 2 = done

    def visit(m, path):
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return path[path.index(n):] + [n] if n in path else [m, n]
            if n not in state and (cycle := visit(n, path + [n])):
                return cycle
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (cycle := visit(m, [m])):
            return cycle
    return None


def test_the_graph_is_read():
    assert "minisent.losses" in MODULES and "minisent.inputs" in imports("minisent.losses", lazy=False)


def test_no_import_cycle_at_import_time():
    assert find_cycle(lazy=False) is None, " -> ".join(find_cycle(lazy=False))


# The package's layers, bottom up: the README's package map. A module may import its own layer and those below.
LAYERS = [
    {"inputs", "progress", "device", "threads", "contract"},   # plumbing every layer may use
    {"data", "text"},                                          # sentences and tokenizers (lessons 00, 03)
    {"wordvec", "nn", "losses", "losses_fast"},               # the models and losses built by hand (01-05)
    {"evaluation", "pretrained"},                              # measuring any Encoder (00, 09); published weights (13)
    {"training"},                                              # the loop and one file per objective (03, 06-08, 10-12)
    {"models"},                                                # the registry of built-in models
    {"exercises", "__main__", ""},                             # checkers for students; the CLI; the package itself
]


def layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else ""
    return next(i for i, names in enumerate(LAYERS) if top in names)


def test_every_module_has_a_layer():
    for m in MODULES:
        layer(m)  # StopIteration for a module the table does not place


def test_no_module_imports_a_layer_above_its_own():
    upward = [f"{m} -> {n}" for m in sorted(MODULES) for n in sorted(imports(m, lazy=True)) if layer(n) > layer(m)]
    assert upward == []


def test_no_import_cycle_even_through_lazy_imports():
    assert find_cycle(lazy=True) is None, " -> ".join(find_cycle(lazy=True))


# Inside training/: the loop and its helpers know nothing of any objective (they sit below every recipe).
TRAINING_GENERIC = {"loop", "checkpoint", "cache", "gradcache", "distributed", "sampler"}


def test_the_generic_training_pieces_import_no_objective():
    generic = {f"minisent.training.{name}" for name in TRAINING_GENERIC}
    assert generic <= set(MODULES)
    found = [f"{m} -> {n}" for m in sorted(generic) for n in sorted(imports(m, lazy=True))
             if n.startswith("minisent.training.") and n not in generic]
    assert found == []
