"""The learner's own modules beside the script (``from nn_utils import sigmoid``) are rewritten too.

Only plain ``.py`` files in the script's folder: NumPy, the standard library and
installed packages import as usual. Modules loaded this way are taken out of
``sys.modules`` afterwards, so the next run records them afresh (in a notebook they stay: ``keep``).
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.util
import linecache
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import CodeType, ModuleType

from bptrace.codetrace.rewrite import Site, rewrite
from bptrace.codetrace.runtime import Recorder


class LocalModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, folder: Path, recorder: Recorder, sites: list[Site], labels: set[str],
                 compiled: list[tuple[str, str, CodeType]]) -> None:
        self.folder, self.recorder, self.sites, self.labels = folder, recorder, sites, labels
        self.compiled = compiled  # (label, source, rewritten code) of each module run
        self.loaded: list[str] = []

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        candidate = self.folder / f"{fullname}.py"
        if "." in fullname or not candidate.is_file():
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=str(candidate))

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        assert module.__spec__ is not None and module.__spec__.origin is not None
        path = Path(module.__spec__.origin)
        text = path.read_text(encoding="utf-8")
        linecache.cache[path.name] = (len(text), None, text.splitlines(keepends=True), path.name)
        code = compile(rewrite(ast.parse(text, filename=path.name), path.name, self.sites), path.name, "exec")
        module.__file__ = str(path)
        module.__dict__.update(self.recorder.hooks())
        self.labels.add(path.name)
        self.recorder.user_modules.add(module.__name__)
        self.loaded.append(module.__name__)
        self.compiled.append((path.name, text, code))
        exec(code, module.__dict__)  # the learner's module, as `import` would run it


def loaded_from(folder: Path) -> dict[str, ModuleType]:
    """The modules of ``folder`` imported before, by name."""
    # The string test first: a Path per loaded module (about a thousand) cost ~10 ms a run.
    prefix = str(folder)
    return {name: m for name, m in list(sys.modules.items())
            if isinstance(file := getattr(m, "__file__", None), str) and file.startswith(prefix)
            and Path(file).parent == folder}


@contextmanager
def local_modules(folder: Path, recorder: Recorder, sites: list[Site], labels: set[str],
                  compiled: list[tuple[str, str, CodeType]] | None = None, keep: bool = False) -> Iterator[None]:
    """``keep`` (a notebook, whose kernel lives on): a module imported before stays as it is (running the
    cell would not import it again; earlier.py traces its functions), and one the run imports stays
    imported. Otherwise each run imports the folder's modules afresh and forgets them after."""
    finder = LocalModules(folder, recorder, sites, labels, [] if compiled is None else compiled)
    # A module of that folder imported before (by an earlier run) must be imported again, rewritten.
    stale = {} if keep else loaded_from(folder)
    for name in stale:
        del sys.modules[name]
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [] if keep else finder.loaded:
            sys.modules.pop(name, None)
        sys.modules.update(stale)
