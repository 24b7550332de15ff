"""The recorder the rewritten code calls: one ``Node`` per NumPy value an operation produced.

Every op's output is kept once (no copies), and inputs refer to earlier nodes
by index, found through ``id()`` of the live arrays (we hold them, so ids stay
unique). Only in-place updates copy: the old version is snapshotted before
the array changes, so earlier steps keep the values they had.
"""

from __future__ import annotations

import operator
import os
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from bptrace.codetrace.pylists import ListData, binary_converts, data_positions
from bptrace.codetrace.rewrite import Site
from bptrace.errors import Cancelled


class UpdateWatcher(Protocol):
    """Told of every recorded `W -= …` / `W = W - …` (bound.StepLimit, which may stop the recording)."""

    def update(self, index: int) -> None: ...

ARRAY_TYPES = (np.ndarray, np.generic)
# What a released node holds instead of its value (never read: released nodes are cut before analysis).
RELEASED = np.empty(0)

_BIN = {
    "add": operator.add, "subtract": operator.sub, "multiply": operator.mul, "divide": operator.truediv,
    "floor_divide": operator.floordiv, "remainder": operator.mod, "power": operator.pow, "matmul": operator.matmul,
    "bitwise_and": operator.and_, "bitwise_or": operator.or_, "bitwise_xor": operator.xor,
    "left_shift": operator.lshift, "right_shift": operator.rshift,
    "greater": operator.gt, "greater_equal": operator.ge, "less": operator.lt, "less_equal": operator.le,
    "equal": operator.eq, "not_equal": operator.ne,
}
_INPLACE = {
    "add": operator.iadd, "subtract": operator.isub, "multiply": operator.imul, "divide": operator.itruediv,
    "floor_divide": operator.ifloordiv, "remainder": operator.imod, "power": operator.ipow,
    "matmul": operator.imatmul, "bitwise_and": operator.iand, "bitwise_or": operator.ior,
    "bitwise_xor": operator.ixor, "left_shift": operator.ilshift, "right_shift": operator.irshift,
}
_UN = {"negative": operator.neg, "positive": operator.pos, "invert": operator.invert}
# Binary ufuncs whose operands may swap: `np.add(step, W, out=W)` is W + step.
_COMMUTATIVE = frozenset({"add", "multiply", "maximum", "minimum", "fmax", "fmin"})


@dataclass(frozen=True, slots=True)
class Const:
    """A non-array operand (a Python number, an axis, an index)."""

    value: Any


@dataclass(slots=True)
class Node:
    index: int
    site: int  # index into the sites; -1 for an array that came from outside the traced code
    op: str
    parents: tuple[int | Const, ...]
    value: Any
    kwargs: dict[str, Any] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    inplace: bool = False  # an in-place update: parents[0] is the version it replaced
    rebind: bool = False  # `W = W - …`: bound back to the name of its left operand
    best: tuple[int, str] | None = None  # (function depth, name): the name bound nearest the top level
    binds: list[tuple[int, int]] = field(default_factory=list)  # (bind site, nodes recorded by then), in run order
    # Scalar operands Python computed as a quotient, by operand position: `(eta / len(batch)) * nw` keeps
    # (eta, len(batch)), so the update's learning rate and its 1/m stay apart (updates.step_of).
    quotients: dict[int, tuple[float, float]] | None = None
    # True when every entry of ``value`` is known to be finite, so the non-finite check need not read it again:
    # a copy the recorder took before an in-place change (nothing else holds it, so this stays true), or a
    # gradient array that passed the gradient check (diagnose).
    finite: bool | None = None


@dataclass(slots=True)
class UserCall:
    """A call of one of the learner's own functions (for probing derivative helpers)."""

    site: int
    func: Any
    args: tuple[Any, ...]
    arg_nodes: tuple[int | None, ...]
    result: int | None = None
    start: int = 0  # nodes recorded when the call began: it made its result only if the result is newer
    end: int = -1  # nodes recorded when it returned (-1: it raised, or recording stopped inside it)


@dataclass(slots=True)
class Failed:
    """An operation that raised (e.g. a non-broadcastable in-place update)."""

    site: int
    op: str
    parents: tuple[int | Const, ...]


Snapshot = tuple[np.ndarray, bool]  # a copy, and whether every entry of it is finite (all_finite)


class Recorder:
    def __init__(self, sites: list[Site]) -> None:
        self.sites = sites
        self.nodes: list[Node] = []
        self.by_id: dict[int, int] = {}
        self.calls: list[UserCall] = []
        self.failed: list[Failed] = []
        # Views recorded so far, by the array that owns their memory: an in-place update of that
        # array must not rewrite the numbers an earlier step showed (W2.T before `W2 -= …`).
        self.views: dict[int, list[int]] = {}
        self.enabled = True
        self.user_modules = {"__main__"}  # plus the learner's own modules beside the script
        self.limit: UpdateWatcher | None = None  # stops recording after K training steps (bound.py)
        self.mutated: set[int] = set()  # ids of arrays changed in place while recording
        # Once recording stopped: the site of the first update of a training step, and how often it ran since.
        self.tally_site = -1
        self.tally = 0
        self.lists = ListData(self._list_leaf, lambda index: self.nodes[index].value)  # lists used as data
        self.quotients: dict[int, tuple[float, float]] = {}  # divide site -> its latest scalar operands
        self.read: set[int] = set()  # nodes some later op took as an operand
        self.updating = False  # an update-like `W -= …` / `W = W - …` was recorded: training has begun
        # Bytes of array memory the recorded nodes hold: each array that owns its memory counted once
        # (a view costs nothing, the data read by every step is one node), plus the snapshots taken
        # before in-place changes. The memory budget (budget.py) reads it at step boundaries.
        self.kept = 0
        self.released: set[int] = set()  # nodes past the budget whose values were let go (budget.py)
        self.held: list[int] = []  # nodes past the budget whose arrays the script still held when last looked at
        # Watch mode: asked at every hook; True stops the learner's script (a newer save supersedes this run).
        self.cancelled: Callable[[], bool] | None = None
        self._hooks: dict[str, Any] | None = None

    def hooks(self) -> dict[str, Any]:
        """The names the rewritten code calls. The same objects every time: a namespace that holds
        them is found by them afterwards (restore.py)."""
        if self._hooks is None:
            hooks = {
                "__bp_bin__": self.bin, "__bp_un__": self.un, "__bp_cmp__": self.bin, "__bp_call__": self.call,
                "__bp_T__": self.transpose, "__bp_sub__": self.getitem, "__bp_iop__": self.iop,
                "__bp_setitem__": self.setitem, "__bp_bind__": self.bind,
            }
            if self.cancelled is not None:
                hooks = {name: _stoppable(hook, self.cancelled) for name, hook in hooks.items()}
            self._hooks = hooks
        return self._hooks

    # ------------------------------------------------------------ nodes

    def ref(self, value: Any) -> int | Const:
        if isinstance(value, ARRAY_TYPES):
            index = self.by_id.get(id(value))
            if index is None:
                index = self.add(-1, "leaf", (), value)
            else:
                self.read.add(index)
            return index
        return Const(value)

    def add(self, site: int, op: str, parents: tuple[int | Const, ...], value: Any, fresh: bool = True,
            **kwargs: Any) -> int:
        """Record a node; ``fresh=False`` for an array changed in place (its memory is already counted)."""
        index = len(self.nodes)
        node = Node(index, site, op, parents, value, kwargs)
        self.nodes.append(node)
        self.by_id[id(value)] = index
        if isinstance(value, np.ndarray):
            if value.base is not None:
                self.views.setdefault(id(_owner(value)), []).append(index)
            elif fresh:
                self.kept += value.nbytes
        return index

    def snapshot(self, array: np.ndarray) -> Snapshot:
        """A kept copy of ``array``'s current numbers (counted against the memory budget). Its memory
        comes from the heap that heap.py keeps, not from fresh pages. Whether it is all finite is read
        now, while the copy is fresh in the cache, rather than by the analysis after the run."""
        self.kept += array.nbytes
        copy = array.copy()
        return copy, all_finite(copy)

    def keep(self, index: int, snapshot: Snapshot) -> None:
        """Node ``index`` holds ``snapshot``'s copy from now on."""
        node = self.nodes[index]
        node.value, finite = snapshot
        node.finite = finite or None

    def _freeze_views(self, array: np.ndarray) -> None:
        """Before ``array`` changes in place, recorded views of its memory keep their current numbers."""
        owner = id(_owner(array))
        self.mutated.add(owner)
        for index in self.views.pop(owner, []):
            if index not in self.released:
                self.keep(index, self.snapshot(self.nodes[index].value))

    def _before_change(self, array: np.ndarray, *operands: Any,
                       copy: bool = True) -> tuple[int, tuple[int | Const, ...], Snapshot | None]:
        """Before ``array`` changes in place (`W -= …`, `X[i] = …`, np.copyto(X, …), out=X): its node now, the
        nodes of ``operands``, and a copy of its numbers for that node to keep (unless ``copy`` is False). Then
        its recorded views are frozen: an operand that views it (`X[1:] = X[:-1]`) keeps the numbers it had."""
        old = self.ref(array)
        assert isinstance(old, int)
        refs = tuple(self.ref(a) for a in operands)
        snapshot = self.snapshot(array) if copy else None
        self._freeze_views(array)
        return old, refs, snapshot

    def _new_version(self, site: int, op: str, parents: tuple[int | Const, ...], value: Any, old: int,
                     snapshot: Snapshot | None, fresh: bool = False, inplace: bool = True, update: bool = False,
                     kwargs: dict[str, Any] | None = None) -> int:
        """After the change: the version before keeps its numbers (``snapshot``), and ``value`` is recorded
        as a new node, an in-place update of ``old`` unless ``inplace`` is False; ``update`` marks it as a
        parameter's update (training has begun, the step limit is told)."""
        if snapshot is not None:
            self.keep(old, snapshot)
        index = self.add(site, op, parents, value, fresh, **(kwargs or {}))
        if inplace:
            self.nodes[index].inplace = True
        if update:
            self._updated(index)
        return index

    def _updated(self, index: int) -> None:
        """Node ``index`` is an update-like `W -= …` / `W = W - …`: training has begun (bound.StepLimit is told)."""
        self.updating = True
        if self.limit is not None:
            self.limit.update(index)

    def stop(self, nodes: int, calls: int, failed: int, tally_site: int) -> None:
        """Stop recording; keep only what came before the cut (the end of a complete training step).

        The script goes on changing its arrays in place unrecorded (``W -= …``): the recorded nodes that
        hold such an array, or a view of it, keep a copy of the numbers they have now.
        """
        self.enabled = False
        self.tally_site, self.tally = tally_site, 1
        for node in self.nodes[:nodes]:
            if isinstance(node.value, np.ndarray) and id(_owner(node.value)) in self.mutated:
                self.keep(node.index, self.snapshot(node.value))
        self.truncate(nodes, calls, failed)
        self.views.clear()
        self.lists.clear()

    def truncate(self, nodes: int, calls: int, failed: int) -> None:
        """Forget everything recorded from node ``nodes`` on (and the calls and failures after the cut)."""
        for node in self.nodes[nodes:]:
            if self.by_id.get(id(node.value)) == node.index:
                del self.by_id[id(node.value)]
        del self.nodes[nodes:], self.calls[calls:], self.failed[failed:]
        self.released = {i for i in self.released if i < nodes}
        self.held = [i for i in self.held if i < nodes]

    def close(self) -> None:
        """Done with the recording (the Trace is built): let go of every recorded array now. The hooks, bound
        to this recorder, sit in the script's namespace, a reference cycle (its functions hold it as their
        globals) that only the cyclic garbage collector frees, so without this each run's arrays would
        outlive it until a collection: repeated runs in one process (watch mode, a notebook, the benchmark)
        would take fresh pages for every run instead of reusing the last one's. A hook the script's code
        still calls afterwards (an atexit handler) runs its op unrecorded."""
        self.enabled = False
        self.tally_site = -1
        self.limit = None  # it holds the nodes too
        self.nodes, self.by_id, self.calls, self.failed = [], {}, [], []
        self.views, self.mutated, self.read, self.released, self.held = {}, set(), set(), set(), []
        self.quotients = {}
        self.lists.clear()

    def release(self, start: int, end: int) -> None:
        """Past the memory budget: let go of the values of nodes ``start``..``end`` that the script no
        longer holds. An array the script still holds (the current W, a list's element) keeps its node,
        so its next update is still known as an update of that parameter; its id stays taken while it
        lives, so the id map stays exact. Such nodes are looked at again with the next range (``held``);
        the others only once, so each training step past the budget costs its own nodes, not all since."""
        held: list[int] = []
        for index in [*self.held, *range(start, end)]:
            if index in self.released:
                continue
            node = self.nodes[index]
            # Three references are ours: the node's, getrefcount's argument and ``value`` here.
            value = node.value
            if isinstance(value, np.ndarray):
                if sys.getrefcount(value) <= 3:
                    if self.by_id.get(id(value)) == index:
                        del self.by_id[id(value)]
                    node.value = RELEASED
                    self.released.add(index)
                else:
                    held.append(index)
            del value
        self.held = held

    def _list_leaf(self, array: np.ndarray, name: str | None, depth: int) -> int:
        """A list the learner's code uses as data, converted (pylists.py): a leaf named like the list."""
        index = self.add(-1, "leaf", (), array)
        if name is not None:
            node = self.nodes[index]
            node.names.append(name)
            node.best = (depth, name)
        return index

    # ------------------------------------------------------------ hooks

    def bin(self, site: int, a: Any, b: Any) -> Any:
        info = self.sites[site]
        # A2 - Y with Y a list: Y recorded as data (pylists.py). The type test first: this runs for every operator.
        if (type(a) is list or type(b) is list) and self.enabled and binary_converts(a, b):
            a, b = self.lists.data(a), self.lists.data(b)
        result = _BIN[info.op](a, b)
        if self.enabled and isinstance(result, ARRAY_TYPES):
            index = self.add(site, info.op, (self.ref(a), self.ref(b)), result)
            if info.operands != (None, None) and self.quotients:
                parts = {k: self.quotients[s] for k, s in enumerate(info.operands) if s in self.quotients}
                self.nodes[index].quotients = parts or None
            if info.rebind:
                self.nodes[index].rebind = True
                self._updated(index)
        elif site == self.tally_site:
            self.tally += 1
        elif self.enabled and info.op == "divide" and isinstance(a, int | float) and isinstance(b, int | float):
            self.quotients[site] = (a, b)
        return result

    def un(self, site: int, a: Any) -> Any:
        op = self.sites[site].op
        result = _UN[op](a)
        if self.enabled and isinstance(result, ARRAY_TYPES):
            self.add(site, op, (self.ref(a),), result)
        return result

    def transpose(self, site: int, a: Any) -> Any:
        result = a.T
        if self.enabled and isinstance(result, ARRAY_TYPES):
            self.add(site, "transpose", (self.ref(a),), result)
        return result

    def getitem(self, site: int, a: Any, index: Any) -> Any:
        result = a[index]
        if self.enabled and isinstance(a, np.ndarray) and isinstance(result, ARRAY_TYPES):
            self.add(site, "getitem", (self.ref(a), Const(index)), result)
        return result

    def call(self, site: int, func: Any, /, *args: Any, **kwargs: Any) -> Any:
        if func is os._exit:  # it would end bptrace too, silently: end the script as sys.exit does
            raise SystemExit(*args)
        if not self.enabled:
            if site == self.tally_site:  # np.add(W, -lr * dW, out=W) is the counted update
                self.tally += 1
            return func(*args, **kwargs)
        user = _is_user_function(func, self.user_modules)
        if user:
            record = UserCall(
                site,
                func,
                args,
                tuple(self.by_id.get(id(a)) if isinstance(a, ARRAY_TYPES) else None for a in args),
                start=len(self.nodes),
            )
            self.calls.append(record)
        else:
            args = self._list_operands(func, args)
        changed = _changed_in_place(func, args)
        if changed is not None:
            return self._mutate(site, func, changed, args, kwargs)
        out = _out_array(kwargs.get("out"))
        if out is not None:  # np.maximum(Z, 0, out=Z): a new version of Z, like Z[...] = …
            old, _, snapshot = self._before_change(out)
        result = func(*args, **kwargs)
        if user:
            record.result = self.by_id.get(id(result)) if isinstance(result, ARRAY_TYPES) else None
            record.end = len(self.nodes)
            return result
        if not self.enabled:  # recording stopped inside the call (a learner's callback)
            return result
        if out is None and (not isinstance(result, ARRAY_TYPES) or any(result is a for a in args)):
            return result
        op, operands = _op_of(func, args)
        parents = tuple(self.ref(a) for a in operands)
        options = {k: v for k, v in kwargs.items() if k != "out"}
        if out is None:
            self.add(site, op, parents, result, **options)
            return result
        # Written into one of its operands, the op updates that array in place, as `W += …` does, and the old
        # version comes first: np.add(W, -lr * dW, out=W) is W's update. `np.add(-lr * dW, W, out=W)` is the
        # same sum; `np.subtract(x, W, out=W)` is not W minus a step, so it stays a plain new version.
        inplace = bool(operands) and operands[0] is out
        if not inplace and op in _COMMUTATIVE and len(operands) == 2 and operands[1] is out:
            parents, inplace = parents[::-1], True
        self._new_version(site, op, parents, result, old, snapshot, fresh=result is not out, inplace=inplace,
                          update=inplace, kwargs=options)
        return result

    def _mutate(self, site: int, func: Any, array: np.ndarray, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """np.random.shuffle(X), X.sort(), np.copyto(X, …): the array changes in place, as with X[...] = …,
        so the steps that read it before keep the numbers they read (data shared by identity stays exact)."""
        old, _, snapshot = self._before_change(array)
        result = func(*args, **kwargs)
        if not self.enabled:  # recording stopped inside the call
            return result
        others = tuple(self.ref(a) for a in args if isinstance(a, ARRAY_TYPES) and a is not array)
        self._new_version(site, _op_of(func, args)[0], (old, *others), array, old, snapshot)
        return result

    def _list_operands(self, func: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """np.dot(W1, X) with X a list: X as recorded data (pylists.py), in the same place."""
        if not any(isinstance(a, list) for a in args):
            return args
        positions = [k for k in data_positions(func, args) if isinstance(args[k], list)]
        converted = list(args)
        for k in positions:
            converted[k] = self.lists.data(args[k])
        return tuple(converted)

    def iop(self, site: int, current: Any, value: Any) -> Any:
        op = self.sites[site].op
        if not (self.enabled and isinstance(current, np.ndarray)):
            if site == self.tally_site:
                self.tally += 1
            result = _INPLACE[op](current, value)
            if self.enabled and isinstance(result, ARRAY_TYPES):
                self.add(site, op, (self.ref(current), self.ref(value)), result)
            return result
        old, (operand,), snapshot = self._before_change(current, value)
        parents = (old, operand)
        try:
            result = _INPLACE[op](current, value)
        except Exception:
            self.failed.append(Failed(site, op, parents))
            raise
        self._new_version(site, op, parents, result, old, snapshot, fresh=result is not current, update=True)
        return result

    def setitem(self, site: int, obj: Any, index: Any, value: Any) -> None:
        if not (self.enabled and isinstance(obj, np.ndarray)):
            obj[index] = value
            return
        prior = self.by_id.get(id(obj))
        # Data preparation fills arrays row by row (`Y[i, labels[i]] = 1`, a shuffling loop): before any
        # update, a version that this very line wrote and nothing read is never shown nor used, so it
        # keeps no copy of its own (one per row would make the loop quadratic in time and memory).
        unseen = prior is not None and not self.updating and prior not in self.read \
            and self.nodes[prior].op == "setitem" and self.nodes[prior].site == site
        old, (operand,), snapshot = self._before_change(obj, value, copy=not unseen)
        parents = (old, Const(index), operand)
        obj[index] = value
        self._new_version(site, "setitem", parents, obj, old, snapshot)

    def bind(self, site: int, value: Any) -> Any:
        if not self.enabled:
            return value
        info = self.sites[site]
        if len(info.names) == 1:
            self._name(value, info.names[0], info.depth, site)
        elif isinstance(value, tuple | list) and len(value) == len(info.names):
            for name, item in zip(info.names, value, strict=True):
                self._name(item, name, info.depth, site)
        return value

    def _name(self, value: Any, name: str, depth: int, site: int) -> None:
        if isinstance(value, list):
            self.lists.bound(value, name, depth)
            return
        index = self.by_id.get(id(value)) if isinstance(value, ARRAY_TYPES) else None
        if index is None:
            return
        node = self.nodes[index]
        node.names.append(name)
        node.binds.append((site, len(self.nodes)))
        if node.best is None or depth < node.best[0]:
            node.best = (depth, name)


def _stoppable(hook: Callable[..., Any], cancelled: Callable[[], bool]) -> Callable[..., Any]:
    """``hook``, first raising ``Cancelled`` in the learner's script once ``cancelled()`` says so. A thread
    cannot be killed: this is where a superseded run stops, at its next NumPy op or assignment."""

    def checked(*args: Any, **kwargs: Any) -> Any:
        if cancelled():
            raise Cancelled
        return hook(*args, **kwargs)

    return checked


def all_finite(array: np.ndarray) -> bool:
    """Every entry of a floating-point array is finite (a NaN or inf entry makes the sum NaN or inf); False
    also when that is unknown (a sum of finite entries that overflowed, an array of another kind)."""
    if array.dtype.kind not in "fc":
        return False
    with np.errstate(all="ignore"):
        return bool(np.isfinite(np.add.reduce(array, axis=None)))


def _owner(array: np.ndarray) -> np.ndarray:
    """The array that owns the memory a view looks at."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _out_array(out: Any) -> np.ndarray | None:
    """The array an ``out=`` argument writes into: ``out=W`` or a ufunc's ``out=(W,)``."""
    if isinstance(out, tuple) and len(out) == 1:
        out = out[0]
    return out if isinstance(out, np.ndarray) else None


# NumPy calls that change an array argument in place (besides out=): methods of the array, and
# functions whose first argument is written.
_MUTATING_METHODS = frozenset({"sort", "fill", "partition", "put", "itemset", "resize", "setfield"})
_MUTATING_FUNCTIONS = frozenset({"shuffle", "copyto", "put", "place", "putmask", "fill_diagonal", "put_along_axis"})


def _changed_in_place(func: Any, args: tuple[Any, ...]) -> np.ndarray | None:
    """The array a NumPy call writes into, for the calls that write into one of their arguments."""
    name = getattr(func, "__name__", "")
    owner = getattr(func, "__self__", None)
    if isinstance(owner, np.ndarray):
        return owner if name in _MUTATING_METHODS else None
    if name not in _MUTATING_FUNCTIONS or not args or not isinstance(args[0], np.ndarray):
        return None
    # np.random.shuffle, a RandomState's or a Generator's shuffle, np.copyto: NumPy's own, not a learner's.
    module = getattr(func, "__module__", None) or (type(owner).__module__ if owner is not None else None)
    return args[0] if isinstance(module, str) and module.split(".")[0] == "numpy" else None


def _is_user_function(func: Any, modules: set[str]) -> bool:
    target = func.__func__ if isinstance(func, types.MethodType) else func
    return isinstance(target, types.FunctionType) and target.__module__ in modules


def _op_of(func: Any, args: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """The numpy name of a called function and its operands (a method's array comes first)."""
    name = getattr(func, "__name__", type(func).__name__)
    owner = getattr(func, "__self__", None)
    if isinstance(owner, ARRAY_TYPES):
        return name, (owner, *args)
    if isinstance(owner, np.random.RandomState | np.random.Generator):
        return f"random.{name}", args
    return name, args
