"""The package's imports, read from its source: no cycles, and the library apart from its research
tooling.

- No module imports itself back through others, counting the imports inside functions (a cycle
  they hide still ties the modules together, and breaks as soon as one moves to the top). An
  import of `a.b.c` also runs the `__init__` of `a.b`, so it counts as an import of that package
  too, unless the importer lies inside it (then the package is already loaded).
- The library (every module of `colornn_keras` outside `colornn_keras.research`) never imports
  `colornn_keras.research`; the research tooling may import the library.
- One exception: the command line runs the research commands (`colornn train`, `evaluate`,
  `table`, `reproduce`, `presets --refresh`), so the modules of `colornn_keras.cli` may import
  research modules inside functions (the commands' handlers), never at module level: importing
  the command line, `colornn colorize` and the Python API never load the tooling.
"""

import ast
import dataclasses
import pathlib

PACKAGE_DIR = pathlib.Path(__file__).resolve().parents[1] / "colornn_keras"
RESEARCH = "colornn_keras.research"
# The one library package allowed to import the research tooling, and only inside its functions.
COMMAND_LINE = "colornn_keras.cli"


@dataclasses.dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    in_function: bool

    def __str__(self):
        where = "inside a function" if self.in_function else "at module level"
        return f"{self.importer} imports {self.imported} (line {self.line}, {where})"


def module_names(package_dir):
    """{dotted module name: path} of every module under `package_dir` (a package's own is its `__init__.py`)."""
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _import_nodes(node, in_function=False):
    """(import node, whether inside a function) for every import under `node`, at any depth."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, in_function
        inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        yield from _import_nodes(child, inner)


def _resolved(node, importer, is_package, modules):
    """The package's modules that one import statement names."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in modules]
    base = node.module or ""
    if node.level:  # Relative: from the importer's package, one level up per extra dot.
        package = importer if is_package else importer.rpartition(".")[0]
        package = ".".join(package.split(".")[:len(package.split(".")) - (node.level - 1)])
        base = f"{package}.{base}" if base else package
    if base not in modules:
        return []
    # `from a import b` names the module a.b where there is one, else a name defined in a.
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]


def imports(package_dir):
    """Every import of one of the package's modules by another, as written in the source."""
    modules = module_names(package_dir)
    found = []
    for importer, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node, in_function in _import_nodes(tree):
            for imported in _resolved(node, importer, path.name == "__init__.py", modules):
                found.append(Import(importer, imported, node.lineno, in_function))
    return found


def _modules_run(importer, imported):
    """`imported`, and the packages above it whose `__init__` importing it runs: not those the
    importer lies in (already loaded), nor the top package (above every module)."""
    parts = imported.split(".")
    packages = [".".join(parts[:end]) for end in range(2, len(parts))]
    return [package for package in packages
            if not (importer == package or importer.startswith(package + "."))] + [imported]


def import_graph(found):
    """{module: {module it imports: the import that says so}}, packages run on the way included."""
    graph = {}
    for record in found:
        for target in _modules_run(record.importer, record.imported):
            if target != record.importer:
                graph.setdefault(record.importer, {}).setdefault(target, record)
    return graph


def cycles(graph):
    """Each cycle of the graph, as the list of (import, module it runs) that close it (one cycle per
    strongly connected set of modules; Tarjan's algorithm)."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph.get(module, {}):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:  # `module` is the first of its strongly connected set.
            component = set()
            while module not in component:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
            if len(component) > 1:
                components.append(component)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return [_one_cycle(graph, component) for component in components]


def _one_cycle(graph, component):
    """A path of imports from the component's first module back to itself."""
    start = min(component)
    paths = {start: []}
    frontier = [start]
    while frontier:  # Breadth first, inside the component: the shortest way round.
        module = frontier.pop(0)
        for target, record in sorted(graph.get(module, {}).items()):
            if target == start:
                return paths[module] + [(record, target)]
            if target in component and target not in paths:
                paths[target] = paths[module] + [(record, target)]
                frontier.append(target)
    raise AssertionError(f"no cycle through {start} in {sorted(component)}")


def _described(cycle):
    return "\n    -> ".join(f"{record}" + ("" if target == record.imported else f", which runs {target}")
                             for record, target in cycle)


def _is_in(module, package):
    return module == package or module.startswith(package + ".")


def research_imports_by_the_library(found, research=RESEARCH, command_line=COMMAND_LINE):
    """The imports that break the rule: a library module importing the research tooling, other
    than a module of the command line inside a function."""
    return [record for record in found if _is_in(record.imported, research) and not _is_in(record.importer, research)
            and not (_is_in(record.importer, command_line) and record.in_function)]


def test_no_module_imports_itself_back_through_others():
    found = cycles(import_graph(imports(PACKAGE_DIR)))
    assert not found, "import cycles:\n" + "\n".join("  " + _described(cycle) for cycle in found)


def test_the_library_never_imports_the_research_tooling():
    found = imports(PACKAGE_DIR)
    broken = research_imports_by_the_library(found)
    assert not broken, "the library imports colornn_keras.research:\n" + "\n".join(f"  {record}" for record in broken)
    # The exception is in use, so this test would see a research import at the command line's top.
    assert any(_is_in(record.importer, COMMAND_LINE) and _is_in(record.imported, RESEARCH) for record in found)


def test_the_imports_read_are_the_source_s_own():
    found = imports(PACKAGE_DIR)
    pairs = {(record.importer, record.imported) for record in found}
    # At module level, inside a function, a module named in `from package import module`, and a name.
    assert ("colornn_keras.api", "colornn_keras.inference") in pairs
    assert Import("colornn_keras.cli.run_commands", "colornn_keras.research.manifest", _line_of(
        "colornn_keras/cli/run_commands.py", "from colornn_keras.research import manifest"), True) in found
    assert ("colornn_keras.runs.loading", "colornn_keras.runs.configs") in pairs
    assert ("colornn_keras.api", "colornn_keras.options") in pairs  # `from colornn_keras.options import ColorizeOptions`


def _line_of(relative_path, text):
    lines = (PACKAGE_DIR.parent / relative_path).read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.strip() == text)


def _package(root, files):
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


def test_a_cycle_hidden_inside_a_function_or_through_a_package_is_found(tmp_path):
    package = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from pkg import b\n",
        "b.py": "def later():\n    from . import a\n",
        "sub/__init__.py": "from pkg.sub import c\n",
        "sub/c.py": "",
        "d.py": "from pkg.sub import c\n",  # Runs sub/__init__.py first: no cycle while that imports no d.
        "e.py": "import pkg.sub.c\n",
    })
    (cycle,) = cycles(import_graph(imports(package)))
    assert [(record.importer, record.imported, record.in_function) for record, _ in cycle] == [
        ("pkg.a", "pkg.b", False), ("pkg.b", "pkg.a", True)]
    # Importing pkg.sub.c runs pkg/sub/__init__.py: were that to import e, e would import itself.
    (package / "sub" / "__init__.py").write_text("from pkg.sub import c\n\n\ndef f():\n    import pkg.e\n")
    found = cycles(import_graph(imports(package)))
    assert sorted(sorted({record.importer for record, _ in cycle}) for cycle in found) == [
        ["pkg.a", "pkg.b"], ["pkg.e", "pkg.sub"]]


def test_a_research_import_is_allowed_only_in_the_command_lines_functions(tmp_path):
    package = _package(tmp_path, {
        "__init__.py": "",
        "research/__init__.py": "",
        "research/tool.py": "from pkg import lib\n",  # Research may import the library.
        "lib.py": "def f():\n    from pkg.research import tool\n",
        "cli.py": "from pkg import lib\n\n\ndef train():\n    from pkg.research import tool\n",
        "app.py": "class App:\n    from pkg.research import tool\n",  # A class body runs at import.
        "client.py": "def f():\n    from pkg.research import tool\n",  # Named like the command line, not in it.
    })
    broken = research_imports_by_the_library(imports(package), "pkg.research", "pkg.cli")
    assert [(record.importer, record.in_function) for record in broken] == [
        ("pkg.app", False), ("pkg.client", True), ("pkg.lib", True)]
    (package / "cli.py").write_text("from pkg.research import tool\n")
    broken = research_imports_by_the_library(imports(package), "pkg.research", "pkg.cli")
    assert ("pkg.cli", False) in [(record.importer, record.in_function) for record in broken]
