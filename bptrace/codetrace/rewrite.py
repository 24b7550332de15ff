"""Rewrite the learner's AST so every operation reports to the recorder.

Each operator, call, ``.T`` and subscript becomes a call to a hook, e.g.
``Z1 = np.dot(W1, X) + b1`` becomes
``Z1 = __bp_bind__(7, __bp_bin__(6, __bp_call__(5, np.dot, W1, X), b1))``.
The numbers index ``Site`` records that say what the source wrote where, so the
recorder knows the line and the name a value is bound to without inspecting
frames. Hook names end in ``__`` too, so class bodies do not mangle them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

# Calls that must stay as written: wrapping super() loses its __class__ cell,
# the others read the caller's frame. The rest never return arrays.
_UNWRAPPED = frozenset(
    {"super", "locals", "vars", "eval", "exec", "globals", "print", "range", "len", "isinstance",
     "enumerate", "zip", "type", "slice", "str", "repr", "int", "float", "bool", "format", "list", "dict", "tuple"}
)

BINOPS: dict[type, str] = {
    ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "divide", ast.FloorDiv: "floor_divide",
    ast.Mod: "remainder", ast.Pow: "power", ast.MatMult: "matmul", ast.BitAnd: "bitwise_and",
    ast.BitOr: "bitwise_or", ast.BitXor: "bitwise_xor", ast.LShift: "left_shift", ast.RShift: "right_shift",
}
UNARYOPS: dict[type, str] = {ast.USub: "negative", ast.UAdd: "positive", ast.Invert: "invert"}
COMPAREOPS: dict[type, str] = {
    ast.Gt: "greater", ast.GtE: "greater_equal", ast.Lt: "less", ast.LtE: "less_equal",
    ast.Eq: "equal", ast.NotEq: "not_equal",
}


@dataclass(slots=True, eq=False)  # hashed by identity: one object per place in the source
class Site:
    """One place in the source: what kind of operation, where, and under which name."""

    kind: str  # bin | un | cmp | call | T | sub | iop | setitem | bind
    op: str  # numpy name of the operator ("add", "matmul"), "" for calls
    file: str
    line: int
    text: str  # the source of the expression, e.g. "np.dot(W1, X)"
    target: str | None = None  # the name the value is bound to when it is a statement's whole value
    stmt: int = 0  # index of the statement it belongs to (one per source statement)
    names: tuple[str, ...] = ()  # bind: the names of the targets
    rebind: bool = False  # `W = W - lr * dW`: the value replaces the name it was computed from
    depth: int = 0  # how many function bodies enclose it: names bound nearer the top read best
    operands: tuple[int | None, int | None] = (None, None)  # bin: the sites of operands that are operators too


def _hook(name: str, site: int, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=[ast.Constant(site), *args], keywords=[])


def _target_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name | ast.Attribute | ast.Subscript):
        return ast.unparse(node)
    return None


class Rewriter(ast.NodeTransformer):
    def __init__(self, file: str, sites: list[Site]) -> None:
        self.file = file
        self.sites = sites
        self.stmt = 0
        self.temps = 0
        self.depth = 0

    def site(self, node: ast.AST, kind: str, op: str = "", **extra: object) -> int:
        target = getattr(node, "_bp_target", None)
        text = ast.unparse(node) if isinstance(node, ast.expr) else ""
        self.sites.append(Site(kind, op, self.file, getattr(node, "lineno", 0), text, target, self.stmt,
                               depth=self.depth, **extra))  # type: ignore[arg-type]
        return len(self.sites) - 1

    def temp(self) -> str:
        self.temps += 1
        return f"__bp_t{self.temps}__"

    # ----------------------------------------------------------- statements

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        self.depth += 1
        try:
            return self.generic_visit(node)
        finally:
            self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, ast.stmt):
            self.stmt += 1
        return super().generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> ast.AST | list[ast.stmt]:
        self.stmt += 1
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript):
            return self._setitem(node)
        names = tuple(ast.unparse(t) for t in node.targets)
        first = node.targets[0]
        if isinstance(first, ast.Name | ast.Attribute):
            node.value._bp_target = names[0]  # type: ignore[attr-defined]
        rebind = _mark_rebind(node.value, node.targets[0])
        value = self.visit(node.value)
        line_site = self.site(node, "bind", names=_flat_names(node.targets), rebind=rebind)
        self.sites[line_site].line = node.lineno
        node.value = _hook("__bp_bind__", line_site, value)
        node.targets = [self.visit(t) for t in node.targets]
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        self.stmt += 1
        if node.value is not None:
            node.value._bp_target = _target_text(node.target)  # type: ignore[attr-defined]
            node.value = self.visit(node.value)
        return node

    def _setitem(self, node: ast.Assign) -> list[ast.stmt]:
        target = node.targets[0]
        assert isinstance(target, ast.Subscript)
        obj, idx = self.temp(), self.temp()
        _mark_rebind(node.value, target)
        site = self.site(target, "setitem", "setitem")  # before visiting: visits rewrite children in place
        self.sites[site].target = ast.unparse(target.value)
        self.sites[site].text = ast.unparse(node)
        value = self.visit(node.value)
        stmts: list[ast.stmt] = [
            ast.Assign(targets=[ast.Name(obj, ast.Store())], value=self.visit(target.value)),
            ast.Assign(targets=[ast.Name(idx, ast.Store())], value=self.visit(_slices(target.slice))),
            ast.Expr(_hook("__bp_setitem__", site, ast.Name(obj, ast.Load()), ast.Name(idx, ast.Load()), value)),
        ]
        return [ast.copy_location(s, node) for s in stmts]

    def visit_AugAssign(self, node: ast.AugAssign) -> list[ast.stmt]:
        self.stmt += 1
        op = BINOPS.get(type(node.op), "")
        target = node.target
        value_text = ast.unparse(node.value)
        site = self.site(node, "iop", op)  # before visiting: visits rewrite children in place
        self.sites[site].target = ast.unparse(target)
        self.sites[site].text = ast.unparse(node)
        value = self.visit(node.value)
        stmts: list[ast.stmt]
        if isinstance(target, ast.Name):
            current: ast.expr = ast.Name(target.id, ast.Load())
            store: ast.expr = ast.Name(target.id, ast.Store())
            stmts = []
        elif isinstance(target, ast.Attribute):
            obj = self.temp()
            stmts = [ast.Assign(targets=[ast.Name(obj, ast.Store())], value=self.visit(target.value))]
            current = ast.Attribute(ast.Name(obj, ast.Load()), target.attr, ast.Load())
            store = ast.Attribute(ast.Name(obj, ast.Load()), target.attr, ast.Store())
        else:
            # `W[i] += v` writes into W: record it as W's new version, `W[i] = W[i] + v`.
            assert isinstance(target, ast.Subscript)
            obj, idx = self.temp(), self.temp()
            self.sites[site].kind, self.sites[site].op = "setitem", "setitem"
            self.sites[site].target = ast.unparse(target.value)
            binary = self.site(node, "bin", op, rebind=True)
            symbol = ast.unparse(ast.BinOp(ast.Name("_"), node.op, ast.Name("_")))[2:-2]
            self.sites[binary].text = f"{ast.unparse(target)} {symbol} {value_text}"
            current = ast.Subscript(ast.Name(obj, ast.Load()), ast.Name(idx, ast.Load()), ast.Load())
            stmts = [
                ast.Assign(targets=[ast.Name(obj, ast.Store())], value=self.visit(target.value)),
                ast.Assign(targets=[ast.Name(idx, ast.Store())], value=self.visit(_slices(target.slice))),
                ast.Expr(_hook("__bp_setitem__", site, ast.Name(obj, ast.Load()), ast.Name(idx, ast.Load()),
                               _hook("__bp_bin__", binary, current, value))),
            ]
            return [ast.copy_location(s, node) for s in stmts]
        stmts.append(ast.Assign(targets=[store], value=_hook("__bp_iop__", site, current, value)))
        return [ast.copy_location(s, node) for s in stmts]

    # ----------------------------------------------------------- expressions

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        site = self.site(node, "bin", BINOPS[type(node.op)], rebind=getattr(node, "_bp_rebind", False))
        left, right = self.visit(node.left), self.visit(node.right)
        self.sites[site].operands = (_bin_site(left), _bin_site(right))
        return ast.copy_location(_hook("__bp_bin__", site, left, right), node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        op = UNARYOPS.get(type(node.op))
        if op is None:
            return self.generic_visit(node)
        site = self.site(node, "un", op)
        return ast.copy_location(_hook("__bp_un__", site, self.visit(node.operand)), node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        op = COMPAREOPS.get(type(node.ops[0])) if len(node.ops) == 1 else None
        if op is None:
            return self.generic_visit(node)
        site = self.site(node, "cmp", op)
        return ast.copy_location(
            _hook("__bp_cmp__", site, self.visit(node.left), self.visit(node.comparators[0])), node
        )

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if (isinstance(node.func, ast.Name) and node.func.id in _UNWRAPPED) or _ipython_call(node.func):
            return self.generic_visit(node)
        out = next((k.value for k in node.keywords if k.arg == "out"), None)
        if getattr(node, "_bp_target", None) is None and out is not None and _target_text(out) is not None:
            node._bp_target = _target_text(out)  # type: ignore[attr-defined]  # np.add(W, s, out=W) makes W's new value
        site = self.site(node, "call")
        call = ast.Call(
            func=ast.Name("__bp_call__", ast.Load()),
            args=[ast.Constant(site), self.visit(node.func), *(self.visit(a) for a in node.args)],
            keywords=[self.visit(k) for k in node.keywords],
        )
        return ast.copy_location(call, node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if node.attr == "T" and isinstance(node.ctx, ast.Load):
            site = self.site(node, "T", "transpose")
            return ast.copy_location(_hook("__bp_T__", site, self.visit(node.value)), node)
        return self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if not isinstance(node.ctx, ast.Load):
            return self.generic_visit(node)
        site = self.site(node, "sub", "getitem")
        return ast.copy_location(
            _hook("__bp_sub__", site, self.visit(node.value), self.visit(_slices(node.slice))), node
        )


def _ipython_call(func: ast.expr) -> bool:
    """``get_ipython().run_line_magic(…)``, ``get_ipython().system(…)``: what IPython makes of ``%time x = 1``
    and ``!ls {path}`` in a traced cell. They read the caller's frame (``%time`` assigns in it), so they
    stay as written, like ``locals()``."""
    return (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name) and func.value.func.id == "get_ipython")


def _bin_site(node: ast.AST) -> int | None:
    """The site of an operand the rewrite turned into ``__bp_bin__(site, …)``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__bp_bin__":
        first = node.args[0]
        return first.value if isinstance(first, ast.Constant) and isinstance(first.value, int) else None
    return None


def _slices(index: ast.expr) -> ast.expr:
    """``a[1:, ::2]``'s index as an expression: Slice nodes only parse inside brackets."""

    def convert(node: ast.expr) -> ast.expr:
        if isinstance(node, ast.Slice):
            parts = [p if p is not None else ast.Constant(None) for p in (node.lower, node.upper, node.step)]
            return ast.copy_location(ast.Call(ast.Name("slice", ast.Load()), parts, []), node)
        return node

    if isinstance(index, ast.Tuple):
        return ast.copy_location(ast.Tuple([convert(e) for e in index.elts], ast.Load()), index)
    return convert(index)


def _mark_rebind(value: ast.expr, target: ast.expr) -> bool:
    """`W = W - lr * dW`, `p["W"] = p["W"] - …`: the new value replaces what it was computed from."""
    rebind = (
        isinstance(value, ast.BinOp)
        and isinstance(value.op, ast.Sub | ast.Add)
        and ast.unparse(value.left) == ast.unparse(target)
    )
    if rebind:
        value._bp_rebind = True  # type: ignore[attr-defined]
    return rebind or _mark_list_rebind(value, target)


def _mark_list_rebind(value: ast.expr, target: ast.expr) -> bool:
    """`self.weights = [w - eta * nw for w, nw in zip(self.weights, nabla_w)]`: each element replaces the
    element of the same list it was computed from (the same logical parameter, a new array)."""
    if not (isinstance(value, ast.ListComp) and len(value.generators) == 1):
        return False
    loop, elt = value.generators[0], value.elt
    if loop.ifs or not (isinstance(elt, ast.BinOp) and isinstance(elt.op, ast.Sub | ast.Add)
                        and isinstance(elt.left, ast.Name)):
        return False
    same = ast.unparse(target)
    if isinstance(loop.target, ast.Name) and ast.unparse(loop.iter) == same:
        element = loop.target.id  # [w - … for w in self.weights]
    elif (isinstance(loop.target, ast.Tuple) and isinstance(loop.iter, ast.Call)
          and isinstance(loop.iter.func, ast.Name) and loop.iter.func.id == "zip"
          and len(loop.iter.args) == len(loop.target.elts)):
        pairs = zip(loop.target.elts, loop.iter.args, strict=True)
        element = next((t.id for t, it in pairs if isinstance(t, ast.Name) and ast.unparse(it) == same), None)
    else:
        return False
    if element != elt.left.id:
        return False
    elt._bp_rebind = True  # type: ignore[attr-defined]
    return True


def _flat_names(targets: list[ast.expr]) -> tuple[str, ...]:
    first = targets[0]
    if isinstance(first, ast.Tuple | ast.List):
        return tuple(ast.unparse(e) for e in first.elts)
    return (ast.unparse(first),)


def rewrite(tree: ast.Module, file: str, sites: list[Site]) -> ast.Module:
    """Rewrite ``tree`` in place, appending its sites; line numbers are kept for tracebacks."""
    new = Rewriter(file, sites).visit(tree)
    return ast.fix_missing_locations(new)
