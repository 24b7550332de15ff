"""The learner's own modules beside the script (``from nn_utils import sigmoid``) are rewritten too.

Only plain ``.py`` files in the script's folder: NumPy, the standard library and
installed packages import as usual. Modules loaded this way are taken out of
``sys.modules`` afterwards, so the next run records them afresh.
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
from types import ModuleType

from bptrace.codetrace.rewrite import Site, rewrite
from bptrace.codetrace.runtime import Recorder


class LocalModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, folder: Path, recorder: Recorder, sites: list[Site], labels: set[str]) -> None:
        self.folder, self.recorder, self.sites, self.labels = folder, recorder, sites, labels
        self.loaded: list[str] = []

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> importlib.machinery.ModuleSpec | None:
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
        exec(code, module.__dict__)  # the learner's module, as `import` would run it


@contextmanager
def local_modules(folder: Path, recorder: Recorder, sites: list[Site], labels: set[str]) -> Iterator[None]:
    finder = LocalModules(folder, recorder, sites, labels)
    # A module of that folder imported before (by an earlier run) must be imported again, rewritten.
    # dict(...) copies in one step: another thread (the TUI's, in watch mode) may import meanwhile, and
    # iterating sys.modules itself would then raise "dictionary changed size during iteration".
    stale = {name: m for name, m in dict(sys.modules).items()
             if getattr(m, "__file__", None) and Path(m.__file__).parent == folder}  # type: ignore[arg-type]
    for name in stale:
        del sys.modules[name]
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in finder.loaded:
            sys.modules.pop(name, None)
        sys.modules.update(stale)
