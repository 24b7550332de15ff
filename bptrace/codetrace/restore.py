"""Take the instrumentation out of a namespace that outlives the run (a notebook's, ``record_source``).

A script traced by ``record_code`` runs in a namespace nobody keeps. A notebook cell runs in the
kernel's own: afterwards the learner goes on using what the cell defined. What the cell computed is
plain already (the recorder records NumPy's own arrays, it wraps none), but the rewrite leaves three
things behind, each taken out here:

- the hooks (``__bp_bin__`` …, bound to the Recorder, which holds every recorded array) and the
  rewrite's temporaries (``__bp_t1__``), in the namespace and in the learner's modules run rewritten;
- functions and classes defined by the traced code: their code calls the hooks. Each such function
  gets the code the learner wrote, compiled from the same text under the same name, in place
  (``__code__`` is assignable), so every reference to it (a name, a method, a list, a closure) is
  the plain function from then on.

One thing cannot get its plain code back: a generator the traced code started and left suspended
(``batches = (X[i:i + 8] for i in …)``, one ``next`` taken). Its frame runs the rewritten code and
would raise NameError on the next ``next``. While such a generator lives, the namespaces it needs get
idle hooks instead: a Recorder that records nothing (``enabled`` off), holding only the sites' text.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from types import AsyncGeneratorType, CodeType, CoroutineType, FunctionType, GeneratorType
from typing import Any

from bptrace.codetrace.runtime import Recorder

_HOOK_NAME = re.compile(r"__bp_\w+__\Z")


def _codes(code: CodeType) -> Iterator[CodeType]:
    """``code`` and every code object nested in it (functions, lambdas, classes, comprehensions)."""
    yield code
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _codes(const)


def _plain_codes(rewritten: CodeType, plain: CodeType) -> dict[int, CodeType]:
    """id of each rewritten code object -> the one the plain compile made for the same source.

    Matched by qualified name, first line, and order among equals (two lambdas on one line)."""
    by_place: dict[tuple[str, int], list[CodeType]] = {}
    for code in _codes(plain):
        by_place.setdefault((code.co_qualname, code.co_firstlineno), []).append(code)
    seen: dict[tuple[str, int], int] = {}
    mapping: dict[int, CodeType] = {}
    for code in _codes(rewritten):
        place = (code.co_qualname, code.co_firstlineno)
        k = seen.get(place, 0)
        seen[place] = k + 1
        candidates = by_place.get(place, [])
        if k < len(candidates):
            mapping[id(code)] = candidates[k]
    return mapping


def uninstrument(rewritten: list[tuple[str, str, CodeType]], recorder: Recorder) -> int:
    """Give every live function compiled from ``rewritten`` ((label, source, rewritten code) as
    ``Run.rewritten`` lists them) its plain code, and drop the ``recorder``'s hooks and the rewrite's
    temporaries from every namespace they were put in. Returns how many functions kept their
    rewritten code (a closure whose free variables differ: none expected); the hooks are gone from
    their globals all the same (idle ones left where a suspended generator needs them)."""
    mapping: dict[int, CodeType] = {}
    codes: list[CodeType] = []
    for label, text, code in rewritten:
        plain = compile(text, label, "exec", dont_inherit=True)
        mapping.update(_plain_codes(code, plain))
        codes.extend(_codes(code))
    marker = recorder.hooks()["__bp_call__"]  # the one object every namespace given the hooks holds
    kept = 0
    namespaces: list[dict[str, Any]] = []
    suspended = False
    # What refers to a rewritten code object (functions, generators) or to the hooks (namespaces),
    # wherever it is referenced from: one scan of the collector's objects, in C.
    for obj in gc.get_referrers(marker, *codes):
        kind = type(obj)
        if kind is FunctionType:
            plain = mapping.get(id(obj.__code__))
            if plain is None:
                continue
            if plain.co_freevars == obj.__code__.co_freevars:
                obj.__code__ = plain
            else:
                kept += 1
        elif kind is dict and obj.get("__bp_call__") is marker:
            namespaces.append(obj)
        elif kind in _SUSPENDABLE and id(_code_of(obj)) in mapping and _frame_of(obj) is not None:
            suspended = True
    idle = Recorder(recorder.sites)
    idle.enabled = False
    for namespace in namespaces:
        for name in [n for n in namespace if _HOOK_NAME.match(n)]:
            del namespace[name]
        if suspended:
            namespace.update(idle.hooks())
    return kept


_SUSPENDABLE = (GeneratorType, CoroutineType, AsyncGeneratorType)


def _code_of(obj: Any) -> CodeType:
    if type(obj) is AsyncGeneratorType:
        return obj.ag_code
    return obj.cr_code if type(obj) is CoroutineType else obj.gi_code


def _frame_of(obj: Any) -> Any:
    if type(obj) is AsyncGeneratorType:
        return obj.ag_frame
    return obj.cr_frame if type(obj) is CoroutineType else obj.gi_frame
