"""Which top-level statements of a module cannot change what the rest of it does.

The sanitizer drops the junk a model writes around its answer (prints, test calls, asserts,
loops printing results, unused helpers) and judges the rest. Dropping is safe only when the
dropped statement cannot change the kept program: a hostile candidate hides its effect in
code that looks like junk (`builtins.sum = ...`, a decorator of an unused function, a class
body, `exec(...)`, `globals().update(...)`, a loop rebinding the entry point; red team s18,
B1). `Inertness` answers conservatively: a statement is inert only when every call it makes
is to a known side-effect-free builtin, a function of a side-effect-free stdlib module, or
one of the module's own functions and classes whose code provably changes nothing outside
the call; when it stores into no object it does not create; and when it reaches no
interpreter internals (dunders, frames, `globals()`). Anything it cannot prove is not inert,
so the sanitizer keeps it and the program is judged as written.
"""

from __future__ import annotations

import ast
import builtins
import doctest
import functools
import importlib
import types
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Inertness"]

_Scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda

# Builtins that change nothing (beyond calling what they are given, checked separately).
_PURE_BUILTINS = frozenset(
    {
        "abs", "all", "any", "ascii", "bin", "bool", "bytearray", "bytes", "callable", "chr",
        "classmethod", "complex", "dict", "divmod", "enumerate", "filter", "float", "format",
        "frozenset", "hash", "hex", "id", "int", "isinstance", "issubclass", "len", "list",
        "map", "max", "min", "object", "oct", "ord", "pow", "print", "property", "range",
        "repr", "reversed", "round", "set", "slice", "sorted", "staticmethod", "str", "sum",
        "super", "tuple", "type", "zip",
        "help",  # prints documentation (interactive help ends at the empty stdin)
        # Reads standard input: a script's `n = int(input())` can only raise when judged
        # (stdin is empty), and raising is no change the program could rely on.
        "input",
        "exit", "quit",  # raise SystemExit: see `input`
    }
)  # fmt: skip
# Builtins that reach the interpreter, its namespaces or the outside world.
_UNSAFE_BUILTINS = frozenset(
    {
        "__build_class__", "__import__", "breakpoint", "compile", "delattr", "eval", "exec",
        "getattr", "globals", "iter", "locals", "memoryview", "next", "open", "setattr",
        "vars",
    }
)  # fmt: skip
# Stdlib modules whose functions change no state the program can see.
_PURE_MODULES = frozenset(
    {
        "abc", "bisect", "cmath", "collections", "copy", "dataclasses", "enum", "fractions",
        "functools", "hashlib", "heapq", "itertools", "json", "math", "numbers", "operator",
        "re", "statistics", "string", "textwrap", "typing", "unicodedata",
    }
)  # fmt: skip
# Methods that only read their receiver, whatever it is.
_READING_METHODS = frozenset(
    {
        "capitalize", "casefold", "center", "copy", "count", "decode", "encode", "endswith",
        "find", "format", "get", "index", "isalnum", "isalpha", "isdecimal", "isdigit",
        "islower", "isnumeric", "isspace", "istitle", "isupper", "items", "join", "keys",
        "ljust", "lower", "lstrip", "partition", "match", "search", "fullmatch", "findall",
        "finditer", "sub", "subn", "replace", "rfind", "rindex", "rjust",
        "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip",
        "swapcase", "title", "upper", "values", "zfill",
    }
)  # fmt: skip
# Methods of builtin types that change their object (taken as values, they still do).
_CHANGING_METHODS = frozenset(
    {
        "add", "append", "clear", "discard", "extend", "insert", "pop", "popitem", "remove",
        "reverse", "setdefault", "sort", "update", "appendleft", "extendleft", "popleft",
        "rotate", "write", "writelines", "send", "throw", "close",
    }
)  # fmt: skip
_NO_EFFECT = (
    ast.Pass, ast.Break, ast.Continue, ast.Import, ast.ImportFrom, ast.Return, ast.Global,
    ast.Nonlocal,
)  # fmt: skip
# Dunders a program may read or call without reaching the interpreter's internals.
_PLAIN_DUNDERS = frozenset({"__init__", "__name__", "__doc__", "__len__", "__str__", "__repr__"})
_FRAME_PREFIXES = ("f_", "gi_", "cr_", "ag_", "tb_")
# Methods Python hands a class, not an instance, though they are not decorated.
_CLASS_HOOKS = frozenset({"__new__", "__init_subclass__", "__class_getitem__"})
_DOCTEST_RUNNERS = frozenset({"testmod", "run_docstring_examples"})
# Functions of other stdlib modules that change nothing the program sees (a script's junk
# times, waits, reads its environment, gets a logger).
_PURE_CALLS = frozenset(
    {
        ("asyncio", "run"), ("asyncio", "sleep"), ("asyncio", "gather"), ("time", "sleep"),
        ("time", "time"), ("time", "perf_counter"), ("time", "process_time"),
        ("os", "getenv"), ("logging", "getLogger"), ("dis", "dis"),
        ("sys", "exit"),  # raises: see `input`
    }
)  # fmt: skip
# Functions of the side-effect free modules that change what they are handed (a heap, a
# sorted list, the class or function they decorate) or run code (string annotations); so
# do their private names and `register` of an abstract class (`numbers.Number.register`).
_CHANGING_CALLS = frozenset(
    {
        "heappush", "heappop", "heapify", "heapreplace", "heappushpop", "insort",
        "insort_left", "insort_right", "setitem", "delitem", "iadd", "iand", "iconcat",
        "ifloordiv", "ilshift", "imatmul", "imod", "imul", "ior", "ipow", "irshift", "isub",
        "itruediv", "ixor", "update_wrapper", "total_ordering", "dataclass", "final",
        "no_type_check", "runtime_checkable", "overload", "clear_overloads",
        "get_type_hints", "abstractmethod", "update_abstractmethods", "register",
        "deepcopy", "dump",  # the memo; the file written
    }
)  # fmt: skip
_EVALUATING_CALLS = frozenset({"get_type_hints"})  # evaluates string annotations
# Functions of those modules that make a callable calling what they are handed.
_CALLERS = frozenset({"partial", "methodcaller"})


class Inertness:
    """Answers "can this top-level statement be dropped without changing the program?"."""

    def __init__(self, stmts: Sequence[ast.stmt]) -> None:
        self._own: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]] = {}
        self._modules: dict[str, str] = {}  # name -> the stdlib module it names or came from
        self._origins: dict[str, str] = {}  # name -> what `from m import n as name` imported
        self._data: dict[str, list[ast.stmt]] = {}  # other module-level names -> binders
        for stmt in stmts:
            self._scan(stmt)
        for name in self._own.keys() & (self._data.keys() | self._modules.keys()):
            del self._own[name]  # rebound: what a call of it runs is not known here
        self._verdicts: dict[int, tuple[int, bool]] = {}  # id(def) -> effect, hands out

    # --- the module's names -----------------------------------------------------------

    def _scan(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self._own.setdefault(stmt.name, []).append(stmt)
            return
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            self._modules.update(_imported(stmt))
            self._origins.update(_origins(stmt))
            return
        for node in _walk_here(stmt):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                self._data.setdefault(node.id, []).append(stmt)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self._data.setdefault(node.name, []).append(stmt)  # defined conditionally
            elif isinstance(node, ast.Import | ast.ImportFrom):
                for name in _imported(node):
                    self._data.setdefault(name, []).append(stmt)

    # --- statements ---------------------------------------------------------------------

    def statement(self, stmt: ast.stmt, reached: frozenset[str] = frozenset()) -> bool:
        """Can `stmt`, run at module level, change nothing the rest of the module sees,
        `reached` being the module-level names the kept program reads? (Names it binds are
        the caller's business: it keeps a statement binding a name the program reads.)"""
        judge = _STATEMENTS.get(type(stmt))
        if judge is not None:
            return judge(self, stmt, reached)
        # Raising is no change the program could rely on (EvalPlus drops such junk too); a
        # top-level `return` does not even compile.
        return isinstance(stmt, _NO_EFFECT)

    def _definition(
        self, stmt: ast.FunctionDef | ast.AsyncFunctionDef, reached: frozenset[str]
    ) -> bool:
        """A `def` runs its decorators, defaults and annotations (not its body)."""
        decorated = all(self._decorates(d, reached) for d in stmt.decorator_list)
        return decorated and all(self.expr(e, reached) for e in _definition_time(stmt))

    def _class(self, stmt: ast.ClassDef, reached: frozenset[str]) -> bool:
        """A `class` runs its decorators, bases, keywords and body."""
        # `global` in a class body makes its bindings the module's; `items += [5]`
        # extends what a class attribute holds
        if any(isinstance(n, ast.Global | ast.AugAssign) for n in _walk_here(stmt)):
            return False
        heads = [*stmt.decorator_list, *stmt.bases, *(k.value for k in stmt.keywords)]
        decorated = all(self._decorates(d, reached) for d in stmt.decorator_list)
        return (
            decorated
            and all(self.expr(e, reached) for e in heads)
            and self.block(stmt.body, reached)
        )

    def _expression(self, stmt: ast.Expr, reached: frozenset[str]) -> bool:
        """An inert expression, or a test runner that cannot reach the program."""
        return self.expr(stmt.value, reached) or self._runner(stmt.value, reached)

    def _assert(self, stmt: ast.Assert, reached: frozenset[str]) -> bool:
        return self.expr(stmt.test, reached) and (stmt.msg is None or self.expr(stmt.msg, reached))

    def _assign(
        self, stmt: ast.Assign | ast.AnnAssign | ast.AugAssign, reached: frozenset[str]
    ) -> bool:
        """A store into names only, of an inert value (`n += v`: see `_accumulates`)."""
        if isinstance(stmt, ast.AugAssign) and not self._accumulates(stmt, reached):
            return False
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        annotation = stmt.annotation if isinstance(stmt, ast.AnnAssign) else None
        return (
            all(_names_only(t) for t in targets)
            and (stmt.value is None or self.expr(stmt.value, reached))
            and (annotation is None or self.expr(annotation, reached))
        )

    def _for(self, stmt: ast.For, reached: frozenset[str]) -> bool:
        parts = (stmt.body, stmt.orelse)
        return (
            _names_only(stmt.target)
            and self.expr(stmt.iter, reached)
            and all(self.block(p, reached) for p in parts)
        )

    def _branch(self, stmt: ast.While | ast.If, reached: frozenset[str]) -> bool:
        # The body of a main guard never runs when the program is imported or judged.
        body = [] if isinstance(stmt, ast.If) and is_main_guard(stmt.test) else stmt.body
        return (
            self.expr(stmt.test, reached)
            and self.block(body, reached)
            and self.block(stmt.orelse, reached)
        )

    def _try(self, stmt: ast.Try | ast.TryStar, reached: frozenset[str]) -> bool:
        parts = (stmt.body, stmt.orelse, stmt.finalbody)
        return all(self.block(p, reached) for p in parts) and all(
            (h.type is None or self.expr(h.type, reached)) and self.block(h.body, reached)
            for h in stmt.handlers
        )

    def _delete(self, stmt: ast.Delete, reached: frozenset[str]) -> bool:
        """`del name` unbinds a name (the caller's business); `del x[k]` changes `x`."""
        return all(isinstance(t, ast.Name) for t in stmt.targets)

    def _raise(self, stmt: ast.Raise, reached: frozenset[str]) -> bool:
        return all(self.expr(e, reached) for e in (stmt.exc, stmt.cause) if e is not None)

    def block(self, stmts: Sequence[ast.stmt], reached: frozenset[str] = frozenset()) -> bool:
        return all(self.statement(s, reached) for s in stmts)

    def _decorates(self, decorator: ast.expr, reached: frozenset[str]) -> bool:
        """Calling `decorator` with the function or class being defined (fresh) is inert:
        `@staticmethod`, `@lru_cache(None)`, `@dataclass`, an own decorator; not
        `@rows.append`, `@partial(heappush, rows)`."""
        if not isinstance(decorator, ast.Call):
            fresh = ast.Call(decorator, [ast.Constant(None)], [])
            return self._call(fresh, reached, frozenset())
        func = decorator.func  # it makes the decorator: an own function, `lru_cache`
        if isinstance(func, ast.Name):
            if func.id in self._own:
                return True
            return self._pure_module(func.id) and self._origins.get(func.id) not in _CALLERS
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            return self._pure_module(func.value.id) and func.attr not in _CALLERS
        return False

    def _accumulates(self, stmt: ast.AugAssign, held: Container[str]) -> bool:
        """`n += v` extends the object `n` names if it is a list: inert on the junk's own
        (`count += 1`, `total += f(x)`), not on what the program may hold (`u = T; u +=
        [5]`), nor when `v` may make `n` name that (an own `__radd__` returning `T`)."""
        name = stmt.target.id if isinstance(stmt.target, ast.Name) else ""
        if name in held or name not in self._data:
            return False
        for value, augmented in self._values(name):
            if value is None or not (augmented or self._from_literals(value, held)):
                return False
            if augmented and self._may_give(value, {name}):
                return False
        return True

    def _may_give(self, value: ast.expr, seen: set[str]) -> bool:
        """May `value` be what an own function or class hands out (`__radd__` may return
        what it likes), read directly or through module data?"""
        for name in free_loads(value) - seen:
            seen.add(name)
            if self._gives(name):
                return True
            if any(v is None or self._may_give(v, seen) for v, _ in self._values(name)):
                return True
        return False

    def _runner(self, value: ast.expr, reached: frozenset[str]) -> bool:
        """`doctest.testmod()` (it tests `__main__`, not this module) and `unittest.main()`
        (the tests of `__main__`, then exit) are a script's junk that cannot reach the
        program; other doctest runners run its examples, inert only if they are."""
        if not isinstance(value, ast.Call):
            return False
        callee = self._runner_callee(value.func)
        if callee is None:
            return False
        args = [*value.args, *(k.value for k in value.keywords)]
        if not all(self.expr(a, reached=reached) for a in args):
            return False  # `unittest.main(testRunner=Runner)`
        return self._runs_apart(value, *callee, reached)

    def _runner_callee(self, func: ast.expr) -> tuple[str | None, str] | None:
        """The module a called name came from (if imported) and the function's name, for
        `m.f(...)` and `f(...)`; None for any other callee (`x.y.f()`, `fs[0]()`)."""
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            return self._modules.get(func.value.id), func.attr
        if isinstance(func, ast.Name):
            return self._modules.get(func.id), func.id
        return None

    def _runs_apart(
        self, call: ast.Call, source: str | None, name: str, reached: frozenset[str]
    ) -> bool:
        """Is `call` (of `name` from `source`, its arguments inert) a test runner that
        cannot reach the program, or only through examples that are inert?"""
        keywords = {k.arg for k in call.keywords}
        if source == "unittest" and name == "main":
            return not call.args and "module" not in keywords
        if source != "doctest" or name not in _DOCTEST_RUNNERS:
            return False
        if name == "testmod":  # `testmod(m)`: every docstring of `m`, and its `__test__`
            return not call.args and not keywords & {"m", "globs", "extraglobs"}
        return self._docstring_examples_inert(call, reached)

    def _docstring_examples_inert(self, call: ast.Call, reached: frozenset[str]) -> bool:
        """`run_docstring_examples(f, globs)`: the examples of `f`, with the names of
        `globs` (which must be the junk's own fresh data)."""
        tested = [*call.args, *(k.value for k in call.keywords if k.arg == "f")][:1]
        globs = [*call.args[1:2], *(k.value for k in call.keywords if k.arg == "globs")]
        fresh = all(self._from_literals(g, reached) for g in globs)
        return fresh and all(self._examples_inert(t, reached) for t in tested)

    def _examples_inert(self, tested: ast.expr, reached: frozenset[str]) -> bool:
        """Are the examples in the docstring of `tested`, an own function or class, inert
        (their names taken for the module's)?"""
        if not isinstance(tested, ast.Name) or tested.id not in self._own:
            return False
        parser = doctest.DocTestParser()
        for node in self._own[tested.id]:
            try:
                examples = parser.get_examples(ast.get_docstring(node, clean=False) or "")
            except ValueError:  # doctest refuses the docstring: the runner raises, as here
                return False
            for example in examples:
                try:
                    tree = ast.parse(example.source)
                except SyntaxError:
                    continue  # an example that does not parse runs nothing
                if not self.block(tree.body, reached):
                    return False
        return True

    # --- expressions --------------------------------------------------------------------

    def expr(self, node: ast.expr, reached: frozenset[str] = frozenset()) -> bool:
        """Can evaluating `node` at module level change nothing the rest of the module
        sees? `reached`: the module-level names the kept program reads."""
        called = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
        return all(self._expr_node(n, names, reached, called) for n, names in _with_scopes(node))

    def _expr_node(
        self, node: ast.AST, local: frozenset[str], reached: frozenset[str], called: set[int]
    ) -> bool:
        if isinstance(node, ast.NamedExpr | ast.Await | ast.Yield | ast.YieldFrom):
            return False
        if isinstance(node, ast.Attribute):
            root = _root(node.value) or ""
            shared = root in reached or (root in self._data and self._shared(root, reached))
            return _plain_attribute(node.attr) and not (
                shared and _bound_method(node, {root}, called)  # `map(rows.append, xs)`
            )
        if isinstance(node, ast.Name) and node.id not in local:
            # An instance of a class with effects may run them in any operator or method;
            # an iterator the program holds is used up by whatever iterates it.
            clean = node.id not in self._data or self._classes_clean()
            settled = node.id not in reached or node.id not in self._data or self._plain(node.id)
            return clean and settled and self._reads_safely(node.id)
        if isinstance(node, ast.Call):
            return self._call(node, reached, local)
        return True

    def _call(self, call: ast.Call, reached: frozenset[str], local: frozenset[str]) -> bool:
        """A call at module level (its callee's name and arguments are checked as read).
        `reached`: the data the kept program reads or binds, which nothing may be handed
        (a callee may change it, or call what it holds); `local`: the names lambdas and
        comprehensions bind around it, which may be anything."""
        func = call.func
        args = [*call.args, *(k.value for k in call.keywords)]
        if isinstance(func, ast.Name):
            return self._name_call(func.id, args, reached, local)
        if not isinstance(func, ast.Attribute):
            return False  # calling what an expression computes: unknown
        if not isinstance(func.value, ast.Name):
            # A method of what an expression computes (`" ".join(xs)`, `f(x).copy()`):
            # only one that reads its receiver is known.
            return func.attr in _READING_METHODS
        return self._method_call(func.value.id, func.attr, args, reached, local)

    def _name_call(
        self, name: str, args: list[ast.expr], reached: frozenset[str], local: frozenset[str]
    ) -> bool:
        """`name(*args)` at module level (see `_call`)."""
        if name in local:
            return False
        if self._builtin(name):
            # `map(f, rows)` with an own `f` changing what it is handed changes `rows`.
            return name in _PURE_BUILTINS and not self._calls_back(args, reached)
        if name in self._own:
            return self._own_call(name, args, reached)
        # a function of a side-effect free module; or a name nothing binds (NameError)
        if self._pure_module(name):
            return self._module_call(self._origins.get(name, name), args, reached)
        return not self._bound(name)

    def _own_call(self, name: str, args: list[ast.expr], reached: frozenset[str]) -> bool:
        """A call of the module's own function or class `name`: it may change what it is
        handed, or call it; nothing out of the program's data then (a fresh `[3, 1, 2]` is
        the junk's own)."""
        if any(self.effect(d) for d in self._own[name]):
            return not self._hands_shared(args, reached)
        return not self._hands(args, {n for n in reached if not self._fresh(n)})

    def _method_call(
        self,
        root: str,
        attr: str,
        args: list[ast.expr],
        reached: frozenset[str],
        local: frozenset[str],
    ) -> bool:
        """`root.attr(*args)` at module level (see `_call`)."""
        if root in local:
            return attr in _READING_METHODS
        if self._pure_module(root):
            return self._module_call(attr, args, reached)  # `math.gcd(a, b)`
        if root in self._own:
            return not self._hands(args, reached)  # `Cls.of(x)`
        if (self._modules.get(root, ""), attr) in _PURE_CALLS:
            return not self._hands(args, reached)
        if attr in _READING_METHODS or not self._bound(root):
            return True
        # A method of an object the junk made itself (`res = []; res.append(f(1))`).
        return root not in reached and self._fresh(root, reached)

    def _module_call(self, name: str, args: Sequence[ast.expr], reached: Container[str]) -> bool:
        """`name` of a side-effect free module called with `args`: one that changes what
        it is handed may be handed only the junk's own data."""
        if name in _EVALUATING_CALLS:
            return False
        if _changes_handed(name):
            return not self._hands_shared(args, reached)
        return not self._hands(args, reached) and not self._calls_back(args, reached)

    def _calls_back(self, args: Sequence[ast.expr], reached: Container[str]) -> bool:
        """Are `args` handed a callee that calls them back (`map`, `sorted(key=)`,
        `functools.reduce`) with something that changes what it is handed, and data
        that may be shared with the program (`map(list.append, [T], [5])`)?"""
        changer = any(self._changer(n, frozenset()) for a in args for n in ast.walk(a))
        shared = {n for n in self._data if self._shared(n, reached)}  # `u = T`
        return changer and _loads_any(args, shared)

    def _changer(self, node: ast.AST, seen: frozenset[str]) -> bool:
        """Is `node` a callable that changes what it is handed: an own function that does,
        a builtin type's or a side-effect free module's function that does
        (`list.append`, `heapq.heappush`), what `operator.methodcaller` or
        `functools.partial` make, or module data bound to one?"""
        if isinstance(node, ast.Call):
            return self._makes_changer(node, seen)
        if isinstance(node, ast.Attribute):
            return self._changing_method(node)
        if not isinstance(node, ast.Name) or node.id in seen:
            return False  # a name already followed: its other bindings decide
        return self._changing_name(node.id, seen)

    def _makes_changer(self, call: ast.Call, seen: frozenset[str]) -> bool:
        """`operator.methodcaller(...)` (it may call a changing method), or
        `functools.partial(f, ...)` of a changer `f`."""
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else ""
        if not self._pure_module(_root(func) or "") or not call.args:
            return False
        return name == "methodcaller" or (name == "partial" and self._changer(call.args[0], seen))

    def _changing_method(self, node: ast.Attribute) -> bool:
        """`list.append`, `heapq.heappush`: a builtin type's or a side-effect free module's
        function that changes what it is handed."""
        if not isinstance(node.value, ast.Name):
            return False
        root = node.value.id
        if self._builtin(root) or self._pure_module(root):
            return node.attr in _CHANGING_METHODS or _changes_handed(node.attr)
        return False

    def _changing_name(self, name: str, seen: frozenset[str]) -> bool:
        """An own function changing its arguments, a changing function imported from a
        side-effect free module, or module data bound to a changer."""
        if name in self._own:
            return any(self.effect(d) == ARGS for d in self._own[name])
        if name in self._origins and self._pure_module(name):
            return _changes_handed(self._origins[name])
        values = [v for v, _ in self._values(name) if v is not None]
        inner = (n for v in values for n in _walk_outside_calls(v))
        return any(self._changer(n, seen | {name}) for n in inner)

    def _hands(self, args: Sequence[ast.expr], held: Container[str]) -> bool:
        """Do `args` hand a callee module data in `held`? (Own functions and classes are
        checked where their names are read.)"""
        return _loads_any(args, {n for n in self._data if n in held})

    def _hands_shared(self, args: Sequence[ast.expr], held: Container[str]) -> bool:
        """Do `args` hand a callee anything but the junk's own fresh data: data in `held`
        or that may be shared with it (`U = T`), the module's functions and classes, a
        module (`dataclasses.builtins`)?"""
        return _loads_any(args, {n for n in self._names() if self._shared(n, held)})

    def _shared(self, name: str, held: Container[str]) -> bool:
        if name in self._data:
            return name in held or not self._fresh(name, held)
        return name in self._own or name in self._modules

    def _names(self) -> set[str]:
        return self._data.keys() | self._own.keys() | self._modules.keys()

    def _bound(self, name: str) -> bool:
        known = name in self._own or name in self._data or name in self._modules
        return known or hasattr(builtins, name)

    def _fresh(
        self, name: str, held: Container[str] = (), seen: frozenset[str] = frozenset()
    ) -> bool:
        """Is module data `name` bound only to values built from literals, side-effect
        free builtins and modules, and other such data not in `held` (`res = []`, `for i in
        range(3)`, `n += 1`, `for case in cases`)? Nothing else holds them, and they hold
        no callable."""
        values = [v for v, _ in self._values(name)]
        seen |= {name}
        return bool(values) and all(
            v is not None and self._from_literals(v, held, seen) for v in values
        )

    def _values(self, name: str) -> Iterator[tuple[ast.expr | None, bool]]:
        """What each binding of module data `name` binds it to (or iterates over), and
        whether it is an augmented assignment; None for a binding of another kind."""
        for stmt in self._data.get(name, []):
            found = False
            for targets, value in _bindings(stmt):
                if name in _stored(targets):
                    found = True
                    yield value, False
            for node in ast.walk(stmt):
                if isinstance(node, ast.AugAssign) and name in _stored([node.target]):
                    found = True
                    yield node.value, True
            if not found:
                yield None, False

    def _from_literals(
        self, value: ast.expr, held: Container[str] = (), seen: frozenset[str] = frozenset()
    ) -> bool:
        if any(isinstance(n, ast.Lambda | ast.NamedExpr) for n in ast.walk(value)):
            return False
        pure = {n: m for n, m in self._modules.items() if self._pure_module(n)}
        objects = [_attribute_of(n, pure) for n in ast.walk(value)]
        if any(o is not None and _stdlib_object(*o) for o in objects):
            return False  # `dataclasses.builtins`
        return all(self._literal_name(n, held, seen) for n in free_loads(value))

    def _literal_name(self, name: str, held: Container[str], seen: frozenset[str]) -> bool:
        if self._builtin(name):
            return name in _PURE_BUILTINS
        if name in self._data:
            return name not in held and name not in seen and self._fresh(name, held, seen)
        return self._pure_module(name)

    def _plain(self, name: str, seen: frozenset[str] = frozenset()) -> bool:
        """Is module data `name` bound only to values reading cannot change: no iterator
        (`(x for x in xs)`, `map(...)`, `iter(...)`, `sys.stdin`), no instance of the
        module's own classes (whose methods may change it), nothing an own function
        returns?"""
        values = [v for v, _ in self._values(name)]
        seen |= {name}
        return bool(values) and all(v is not None and self._plain_value(v, seen) for v in values)

    def _plain_value(self, value: ast.expr, seen: frozenset[str]) -> bool:
        pure = {n: m for n, m in self._modules.items() if self._pure_module(n)}
        data = set()
        for node, local in _with_scopes(value):
            if isinstance(node, _LAZY_NODES):
                return False
            if isinstance(node, ast.Call) and not self._plain_call(node.func, pure, local):
                return False
            if isinstance(node, ast.Attribute) and not self._plain_attribute(node, pure, local):
                return False
            if isinstance(node, ast.Name) and node.id not in local and node.id in self._data:
                data.add(node.id)
        return all(n not in seen and self._plain(n, seen) for n in data)

    def _plain_attribute(
        self, node: ast.Attribute, pure: Mapping[str, str], local: Container[str]
    ) -> bool:
        """Not an attribute of another module (`sys.stdin`) or of an own function or class
        (`Cls.items`), which may hold anything."""
        root = _root(node.value)
        if root is None or root in local or root in pure:
            return True
        return root not in self._modules and root not in self._own

    def _plain_call(self, func: ast.expr, pure: Mapping[str, str], local: Container[str]) -> bool:
        """Does calling `func` give a value reading cannot change (`len(x)`, `s.split()`,
        `math.sqrt(x)`, not `zip(a, b)`, `itertools.count()`, `gen()`)?"""
        if isinstance(func, ast.Name) and func.id not in local:
            if self._builtin(func.id):
                return func.id in _PURE_BUILTINS and func.id not in _LAZY_BUILTINS
            if func.id in self._own:
                return all(self._settled(d) for d in self._own[func.id])
            return func.id in pure and _plain_result(pure[func.id], self._origins.get(func.id))
        if isinstance(func, ast.Attribute):
            found = _attribute_of(func, pure)
            if found is not None:
                return _plain_result(*found)
            return func.attr in _READING_METHODS and func.attr != "finditer"
        return False

    def _settled(self, node: _Scope) -> bool:
        """Is `node` a class whose instances do not change once made: no method but
        `__init__` stores into its instance or calls a method of it, no `__next__`, no base
        but `object` or such a class, no metaclass, decorators only of side-effect free
        modules (`@dataclass`)?"""
        if not isinstance(node, ast.ClassDef) or node.keywords or self.effect(node) != PURE:
            return False
        bases = [b.id if isinstance(b, ast.Name) else "" for b in node.bases]
        if any(b != "object" and not all(map(self._settled, self._own.get(b, []))) for b in bases):
            return False
        if not all(self._pure_module(_root(d) or "") for d in node.decorator_list):
            return False
        methods = [
            fn
            for fn in node.body
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) and fn.args.args
        ]
        return not any(
            fn.name == "__next__" or _changes(fn, fn.args.args[0].arg)
            for fn in methods
            if fn.name != "__init__"
        )

    def _classes_clean(self) -> bool:
        classes = [d for defs in self._own.values() for d in defs if isinstance(d, ast.ClassDef)]
        return all(self.effect(c) == PURE for c in classes)

    def _pure_module(self, name: str) -> bool:
        return self._module(name, {}, {}) in _PURE_MODULES

    def _module(self, name: str, imports: Mapping[str, str], origins: Mapping[str, str]) -> str:
        """The stdlib module whose functions `name.f(...)` calls, `name` bound by an import
        (at module level, or in a function: `imports`, `origins`); "" for an object a
        side-effect free module holds (`from dataclasses import builtins`)."""
        module = imports.get(name, self._modules.get(name, ""))
        origin = origins.get(name, self._origins.get(name))
        if origin is not None and module in _PURE_MODULES and _stdlib_object(module, origin):
            return ""
        return module

    def _builtin(self, name: str) -> bool:
        """A builtin name the module does not rebind."""
        rebound = name in self._own or name in self._modules or name in self._data
        return hasattr(builtins, name) and not rebound

    def _reads_safely(self, name: str) -> bool:
        """A module-level name code may read without effect: its own side-effect free
        functions and classes, modules, data, builtins reaching nothing."""
        if name in self._own:
            return all(self.effect(d) < ANY for d in self._own[name])
        if name in self._modules or name in self._data:
            return True  # what a function does with it is checked where it calls or stores
        if name.startswith("__") and name.endswith("__"):
            return name in _PLAIN_DUNDERS  # `__builtins__`, `__loader__`, ...
        return not self._builtin(name) or name not in _UNSAFE_BUILTINS

    # --- the module's own functions and classes -----------------------------------------

    def effect(self, node: _Scope) -> int:
        """What calling `node` (or any method of it) may change: `PURE` (nothing it did
        not create), `ARGS` (also what it is handed), `ANY`. A class is `PURE` or `ANY`:
        its instances' methods may be handed anything (operators, `__set_name__`,
        `__init_subclass__`). Recursion is assumed pure while it is being decided."""
        return self._verdict(node)[0]

    def _gives(self, name: str) -> bool:
        """May the module's function or class `name` hand out a module object: return or
        yield one (or a part), keep one in a class attribute or an instance?"""
        return any(self._verdict(d)[1] for d in self._own.get(name, ()))

    def _verdict(self, node: _Scope) -> tuple[int, bool]:
        key = id(node)
        if key not in self._verdicts:
            self._verdicts[key] = (PURE, False)
            self._verdicts[key] = self._decide(node)
        return self._verdicts[key]

    def _decide(self, scope: _Scope) -> tuple[int, bool]:
        inside = self._inside(scope)
        level = PURE
        for node in ast.walk(scope):
            level = max(level, self._node_effect(node, inside))
            if level == ANY:
                return ANY, True
        if isinstance(scope, ast.ClassDef) and level == ARGS:
            return ANY, True
        return level, self._hands_out(scope, inside.held)

    def _inside(self, scope: _Scope) -> _Inside:
        """What deciding `scope` needs to know of its names."""
        local = _locals(scope)
        inner = [n for n in ast.walk(scope) if isinstance(n, ast.Import | ast.ImportFrom)]
        imports = {name: module for n in inner for name, module in _imported(n).items()}
        origins = self._origins | {k: v for n in inner for k, v in _origins(n).items()}
        params = {a.arg for a in ast.walk(scope) if isinstance(a, ast.arg)} - _selves(scope)
        held = self._held(scope, local, params, imports, origins)
        nested = {
            n.name: n
            for n in ast.walk(scope)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n is not scope
        }
        called = frozenset(id(n.func) for n in ast.walk(scope) if isinstance(n, ast.Call))
        holders = held.any | held.holding
        return _Inside(scope, local, imports, origins, held, nested, called, holders)

    def _node_effect(self, node: ast.AST, inside: _Inside) -> int:
        """What `node`, a part of the function or class being decided, may change."""
        if isinstance(node, ast.Global | ast.Nonlocal):
            return ANY
        if isinstance(node, ast.Attribute) and not _plain_attribute(node.attr):
            return ANY
        if isinstance(node, ast.Attribute | ast.Subscript) and not isinstance(node.ctx, ast.Load):
            return inside.stored(node)
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            return inside.held.of(node.target.id)  # `rows += [r]` extends the list `rows` names
        if isinstance(node, ast.Attribute) and _bound_method(node, inside.holders, inside.called):
            return inside.held.of_object(node.value)
        if id(node) not in inside.called and self._changer(node, frozenset(inside.local)):
            return ANY  # `map(list.append, rows, xs)`: it may be handed anything
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            return self._load_effect(node, inside)
        if isinstance(node, ast.Lambda) and node is not inside.scope:
            return ANY if self.effect(node) else PURE  # handed to what calls it
        if isinstance(node, ast.Call):
            return self._inner_call(node, inside)
        return PURE

    def _load_effect(self, node: ast.Name, inside: _Inside) -> int:
        """What reading `node` inside the function or class being decided may change."""
        as_callee = id(node) in inside.called
        if node.id in inside.nested and not as_callee:
            return ANY if self.effect(inside.nested[node.id]) else PURE  # `map(inner, rows)`
        if node.id in inside.local:
            return PURE
        return self._read_effect(node.id, as_callee)

    def _held(
        self,
        scope: _Scope,
        local: Container[str],
        params: Iterable[str],
        imports: Mapping[str, str],
        origins: Mapping[str, str],
    ) -> _Held:
        """What the names of `scope` may be or hold: from `params`, or from the module (its
        data, modules and their objects, and the functions and classes that hand out module
        objects). The functions of side-effect free modules return fresh objects."""
        every = {**self._modules, **imports}

        def module_object(name: str) -> bool:  # not `from math import sqrt`
            module = every[name]
            if module not in _PURE_MODULES or name not in origins:
                return True
            return _stdlib_object(module, origins[name])

        free = {n for n in free_loads(scope) if n not in local} | imports.keys()
        module = {
            n
            for n in free
            if n in self._data or self._gives(n) or (n in every and module_object(n))
        }
        module |= _kept_defaults(scope)  # `def f(x, seen=[])`: one list for every call
        fresh = {n: m for n, m in every.items() if m in _PURE_MODULES and n not in origins}
        from_params, holding_params = _tainted(scope, params, fresh)
        from_data, holding_data = _tainted(scope, module, fresh)
        return _Held(from_params, from_data, frozenset(params), holding_params, holding_data, fresh)

    def _hands_out(self, scope: _Scope, held: _Held) -> bool:
        """Does `scope` return or yield a module object (or a part), or keep one in a class
        attribute or its instances?"""
        module = held.from_data | held.holding_data
        outputs = [
            n.value
            for n in ast.walk(scope)
            if isinstance(n, ast.Return | ast.Yield | ast.YieldFrom) and n.value is not None
        ]
        if isinstance(scope, ast.Lambda):
            outputs.append(scope.body)
        if isinstance(scope, ast.ClassDef):
            kept = _selves(scope) | {n for s in scope.body for n in free_stores(s)}
            if kept & module or any(_class_object(s) for s in scope.body):
                return True
        return any(_aliases(v, module, held.fresh) for v in outputs)

    def _module_effect(
        self, module: str, name: str, args: Sequence[ast.expr], handed: int, imports: Iterable[str]
    ) -> int:
        """What calling function `name` of stdlib `module` with `args` inside a function may
        change (`name` "": the module itself). One that changes what it is handed may
        change the module's functions, classes or modules, or what they return."""
        if (module, name) in _PURE_CALLS:
            return handed
        if module not in _PURE_MODULES or name in _EVALUATING_CALLS:
            return ANY
        shared = {*self._own, *self._modules, *imports}
        return ANY if _changes_handed(name) and _loads_any(args, shared) else handed

    def _read_effect(self, name: str, as_callee: bool) -> int:
        """Reading a module-level name inside a function: an own function that changes
        what it is handed, read as a value (`map(f, rows)`), may be handed anything."""
        if not self._reads_safely(name) or (name in self._data and not self._plain(name)):
            return ANY  # `for x in ITEMS` uses up the iterator ITEMS may be
        changes_args = name in self._own and any(self.effect(d) for d in self._own[name])
        return ANY if changes_args and not as_callee else PURE

    def _inner_call(self, call: ast.Call, inside: _Inside) -> int:
        """What a call inside a function may change (`x.append(v)` on its own list:
        nothing; `heapq.heappush(param, x)`: what it is handed)."""
        func = call.func
        args = [*call.args, *(k.value for k in call.keywords)]
        handed = inside.held.handed(args)
        if isinstance(func, ast.Name):
            return self._inner_name_call(func.id, args, handed, inside)
        if _is_type_of(func):  # `type(a)(x)`: a class, whose methods are checked here
            return PURE if self._classes_clean() else ANY
        if not isinstance(func, ast.Attribute):
            return ANY
        return self._inner_method_call(func, args, handed, inside)

    def _inner_name_call(
        self, name: str, args: Sequence[ast.expr], handed: int, inside: _Inside
    ) -> int:
        """What calling `name` inside a function may change, `handed` being what
        changing `args` changes."""
        held, local, imports = inside.held, inside.local, inside.imports
        if name in held.params:
            return max(handed, ARGS if handed else PURE)  # it may change what it gets
        if name in imports or (name in self._modules and name not in local):
            module = imports.get(name, self._modules.get(name, ""))
            origin = inside.origins.get(name, "")  # `from heapq import heappush`
            return self._module_effect(module, origin, args, handed, imports)
        if name in self._own and name not in local:
            return handed if max(self.effect(d) for d in self._own[name]) else PURE
        if name in local:  # a nested function, a lambda, a callable it was given
            return ANY if name in held.any else handed
        return ANY if name in held.any else PURE

    def _inner_method_call(
        self, func: ast.Attribute, args: Sequence[ast.expr], handed: int, inside: _Inside
    ) -> int:
        """What calling method `func` inside a function may change, `handed` being what
        changing `args` changes."""
        held, local, imports = inside.held, inside.local, inside.imports
        root = _root(func.value)
        if root in imports or (root in self._modules and root not in local):
            module = self._module(root or "", imports, inside.origins)
            # `math.gcd(a, b)`, `re.compile(p).sub(...)` (a fresh object's method), not
            # `numbers.Number.register(list)` (an object of the module's)
            deep = isinstance(func.value, ast.Attribute) and func.attr not in _READING_METHODS
            return ANY if deep else self._module_effect(module, func.attr, args, handed, imports)
        if self._own_class(func.value, local) or (root == "super" and self._builtin("super")):
            return PURE  # `Cls.helper(x)`, `Cls(x).run()`, `super().__init__()`: checked where read
        if func.attr in _READING_METHODS and (root not in held.any or self._classes_clean()):
            return PURE
        if isinstance(func.value, ast.Name) and root not in local and self._builtin(func.value.id):
            return handed  # `list.append(rows, r)`: a builtin type's method on what it is handed
        # `out.append(row)` on its own list changes neither: builtin types' methods never
        # change their arguments (a class of the module's own might).
        return max(held.of_object(func.value), PURE if self._classes_clean() else handed)

    def _own_class(self, node: ast.expr, local: Container[str]) -> bool:
        """`Cls` or `Cls(...)` for a class of the module's own."""
        name = node.func if isinstance(node, ast.Call) else node
        if not isinstance(name, ast.Name) or name.id in local:
            return False
        defs = self._own.get(name.id, [])
        return bool(defs) and all(isinstance(d, ast.ClassDef) for d in defs)


PURE, ARGS, ANY = 0, 1, 2

# How `Inertness.statement` judges a statement, by its exact type (`ast.parse` makes no
# subclasses); any other statement is inert only if it is one of `_NO_EFFECT`.
_STATEMENTS: Mapping[type[ast.stmt], Callable[[Inertness, Any, frozenset[str]], bool]] = {
    ast.FunctionDef: Inertness._definition,
    ast.AsyncFunctionDef: Inertness._definition,
    ast.ClassDef: Inertness._class,
    ast.Expr: Inertness._expression,
    ast.Assert: Inertness._assert,
    ast.Assign: Inertness._assign,
    ast.AnnAssign: Inertness._assign,
    ast.AugAssign: Inertness._assign,
    ast.For: Inertness._for,
    ast.While: Inertness._branch,
    ast.If: Inertness._branch,
    ast.Try: Inertness._try,
    ast.TryStar: Inertness._try,
    ast.Delete: Inertness._delete,
    ast.Raise: Inertness._raise,
}


@dataclass(frozen=True)
class _Held:
    """The names inside a function that may hold objects it did not create: from its
    parameters (`params` themselves included) or from module data."""

    from_params: frozenset[str]
    from_data: frozenset[str]
    params: frozenset[str]
    holding_params: frozenset[str] = frozenset()  # may hold one in an item or attribute
    holding_data: frozenset[str] = frozenset()
    fresh: Mapping[str, str] = field(default_factory=dict)  # see `_aliases`

    @property
    def any(self) -> frozenset[str]:
        return self.from_params | self.from_data

    @property
    def holding(self) -> frozenset[str]:
        return self.holding_params | self.holding_data

    def of(self, root: str | None) -> int:
        """What changing the object `root` names changes."""
        if root in self.from_data or root is None:
            return ANY
        return ARGS if root in self.from_params else PURE

    def of_object(self, obj: ast.expr) -> int:
        """What changing the object `obj` evaluates to changes: `x` names it; `x.a`, `x[k]`,
        `x.f()` may be an object x's holds, `min(rows).a` a part of what a call is handed,
        `type(x).a` a class's."""
        root = _root(obj)
        if isinstance(obj, ast.Name) or root is None:
            return self.of(root)
        level = PURE
        for name in _chain_names(obj):
            inside = name in self.holding_data or name == "type"
            level = max(level, self.of(name), ANY if inside else PURE)
            level = max(level, ARGS if name in self.holding_params else PURE)
        return level

    def handed(self, args: Sequence[ast.expr]) -> int:
        """What handing `args` to a callee that changes them changes."""
        if any(_aliases(a, self.from_data | self.holding_data, self.fresh) for a in args):
            return ANY
        theirs = self.from_params | self.holding_params
        return ARGS if any(_aliases(a, theirs, self.fresh) for a in args) else PURE


@dataclass(frozen=True)
class _Inside:
    """What deciding one function or class (`scope`) knows of its names: those it binds
    (`local`), its imports (`origins`: with the module's), what they may be or hold
    (`held`), its nested functions, and the ids of the callees of its calls (`called`)."""

    scope: _Scope
    local: frozenset[str]
    imports: Mapping[str, str]
    origins: Mapping[str, str]
    held: _Held
    nested: Mapping[str, ast.FunctionDef | ast.AsyncFunctionDef]
    called: frozenset[int]
    holders: frozenset[str]  # what may hold an object it did not create (`held`)

    def stored(self, target: ast.Attribute | ast.Subscript) -> int:
        """What storing into `target` (`x.a = v`, `x[k] = v`, `del x[k]`) changes."""
        root = _root(target.value)
        if root not in self.local or root in self.imports:
            return ANY
        return self.held.of_object(target.value)


def _tainted(
    scope: ast.AST, roots: Iterable[str], fresh: Mapping[str, str]
) -> tuple[frozenset[str], frozenset[str]]:
    """The names of `scope` that may be (a part of) what `roots` name (`row = grid[i]`,
    `for row in grid`), and those that may hold one without being one (`box["t"] = row`,
    `self.rows = rows`, `out.append(row)`, `acc += row`; `b = box`). `fresh`: see
    `_aliases`."""
    names, holders = set(roots), set[str]()
    bindings, stores = list(_bindings(scope)), list(_stores(scope, fresh))
    size = -1
    while size < len(names) + len(holders):
        size = len(names) + len(holders)
        for targets, value in bindings:
            if _aliases(value, names, fresh):
                names |= _stored(targets)
            elif _aliases(value, holders, fresh):
                # `b = box`: the same holder; `row = box["t"]`, `for row in box`: a part
                (holders if isinstance(value, ast.Name) else names).update(_stored(targets))
        for root, value in stores:
            if _aliases(value, names | holders, fresh):
                holders.add(root)
    return frozenset(names), frozenset(holders - names)


def _attribute_of(node: ast.AST, modules: Mapping[str, str]) -> tuple[str, str] | None:
    """(module, attribute) for `m.attribute`, `m` one of the names of `modules`."""
    if not isinstance(node, ast.Attribute) or not isinstance(node.value, ast.Name):
        return None
    module = modules.get(node.value.id)
    return None if module is None else (module, node.attr)


def _keeps_nothing(func: ast.expr, fresh: Mapping[str, str]) -> bool:
    """A callee that keeps nothing it is handed: `print`, `len`, `s.split`, `math.gcd`."""
    if isinstance(func, ast.Name):
        return func.id in _PURE_BUILTINS
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in _READING_METHODS:
        return True
    return (
        isinstance(func.value, ast.Name)
        and func.value.id in fresh
        and not _changes_handed(func.attr)
    )


def _changes(scope: ast.AST, name: str) -> bool:
    """Does `scope` store into, or call a method other than a reading one of, what `name`
    names (`self.n += 1`, `self.items.append(x)`)?"""
    for node in ast.walk(scope):
        changed: ast.expr | None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            changed = node.func if node.func.attr not in _READING_METHODS else None
        elif isinstance(node, ast.Attribute | ast.Subscript):
            changed = node if not isinstance(node.ctx, ast.Load) else None
        else:
            changed = None
        if changed is not None and _root(changed) == name:
            return True
    return False


def _immutable(value: ast.expr) -> bool:
    """A constant, or a tuple or arithmetic of constants (`10 ** 9 + 7`)."""
    if isinstance(value, ast.Tuple):
        return all(map(_immutable, value.elts))
    if isinstance(value, ast.UnaryOp):
        return _immutable(value.operand)
    if isinstance(value, ast.BinOp):
        return _immutable(value.left) and _immutable(value.right)
    return isinstance(value, ast.Constant)


def _class_object(stmt: ast.stmt) -> bool:
    """Does a statement of a class body bind a class attribute to a module object: any
    but a method or a constant (`items = []`, `class Inner`)?"""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.Pass | ast.Expr):
        return False
    if isinstance(stmt, ast.Assign | ast.AnnAssign):
        return stmt.value is not None and not _immutable(stmt.value)
    return True


def _kept_defaults(scope: ast.AST) -> set[str]:
    """The parameters under `scope` whose default is an object every call shares
    (`seen=[]`), not a constant."""
    return {
        arg.arg
        for node in ast.walk(scope)
        if isinstance(node, ast.arguments)
        for arg, default in _defaults(node)
        if not _immutable(default)
    }


def _chain_names(obj: ast.expr) -> set[str]:
    """The names an attribute/subscript/call chain starts from or hands its calls."""
    names = set()
    while isinstance(obj, ast.Attribute | ast.Subscript | ast.Call):
        if isinstance(obj, ast.Call):
            args = [*obj.args, *(k.value for k in obj.keywords)]
            names |= {n.id for a in args for n in ast.walk(a) if isinstance(n, ast.Name)}
        obj = obj.func if isinstance(obj, ast.Call) else obj.value
    if isinstance(obj, ast.Name):
        names.add(obj.id)
    return names


def _stored(targets: Iterable[ast.expr]) -> set[str]:
    return {
        n.id
        for t in targets
        for n in ast.walk(t)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


def is_main_guard(test: ast.expr) -> bool:
    """`__name__ == "__main__"` (either way round): its body never runs when the program is
    imported or judged."""
    if not (
        isinstance(test, ast.Compare)
        and len(test.comparators) == 1
        and isinstance(test.ops[0], ast.Eq)
    ):
        return False
    sides = (test.left, test.comparators[0])
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


def _definition_time(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.expr]:
    """What defining `fn` evaluates: decorators, defaults and annotations."""
    yield from fn.decorator_list
    args = fn.args
    yield from args.defaults
    yield from (d for d in args.kw_defaults if d is not None)
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    yield from (a.annotation for a in every if a is not None and a.annotation is not None)
    if fn.returns is not None:
        yield fn.returns


def free_loads(node: ast.AST) -> set[str]:
    """Names `node` reads from the module: not those comprehensions and lambdas bind."""
    return {
        n.id
        for n, local in _with_scopes(node)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in local
    }


def free_stores(node: ast.AST) -> set[str]:
    """Module-level names `node` binds by plain assignment, loop, `with`, `except`, `del`
    or a walrus (not those a comprehension binds), and the functions, classes and imports
    it defines."""
    names = set()
    for n, local in _with_scopes(node):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load) and n.id not in local:
            names.add(n.id)
        elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(n.name)
        elif isinstance(n, ast.Import | ast.ImportFrom):
            names.update(_imported(n))
        elif isinstance(n, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and n.name:
            names.add(n.name)
    return names


def _with_scopes(node: ast.AST) -> Iterator[tuple[ast.AST, frozenset[str]]]:
    """Every node under `node` with the names comprehensions and lambdas bind around it."""
    todo: list[tuple[ast.AST, frozenset[str]]] = [(node, frozenset())]
    while todo:
        here, names = todo.pop()
        yield here, names
        if isinstance(
            here, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
        ):
            names = names | _locals(here)
        todo.extend((c, names) for c in ast.iter_child_nodes(here))


def _locals(scope: ast.AST) -> frozenset[str]:
    """Names bound inside `scope` (over-approximating nested scopes): parameters, stores,
    comprehension targets, handler names, nested definitions, imports."""
    names: set[str] = set()
    for node in ast.walk(scope):
        if isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(
            node, ast.ExceptHandler | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        ):
            if node.name and node is not scope:
                names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update(a.asname or a.name.partition(".")[0] for a in node.names)
    return frozenset(names)


def _selves(scope: ast.AST) -> set[str]:
    """The first parameter of each method defined in a class under `scope`: the instance
    the class call creates (not the class a classmethod, `__new__` or `__init_subclass__`
    is handed, nor a staticmethod's argument)."""
    names: set[str] = set()
    others: set[str] = set()
    for cls in (n for n in ast.walk(scope) if isinstance(n, ast.ClassDef)):
        for fn in cls.body:
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) or not fn.args.args:
                continue
            decorators = {d.id for d in fn.decorator_list if isinstance(d, ast.Name)}
            on_class = decorators & {"classmethod", "staticmethod"} or fn.name in _CLASS_HOOKS
            (others if on_class else names).add(fn.args.args[0].arg)
    return names - others


def _bindings(scope: ast.AST) -> Iterator[tuple[list[ast.expr], ast.expr]]:
    """(targets, value) of every binding inside `scope` that may alias its value (a
    parameter its default)."""
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign):
            yield node.targets, node.value
        elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value:
            yield [node.target], node.value
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            yield [node.target], node.iter
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            yield [node.optional_vars], node.context_expr
        elif isinstance(node, ast.arguments):
            for arg, default in _defaults(node):
                yield [ast.Name(arg.arg, ast.Store())], default


def _defaults(node: ast.arguments) -> Iterator[tuple[ast.arg, ast.expr]]:
    """Each parameter with a default, and its default."""
    positional = [*node.posonlyargs, *node.args][::-1]
    yield from zip(positional, node.defaults[::-1], strict=False)
    for arg, default in zip(node.kwonlyargs, node.kw_defaults, strict=True):
        if default is not None:
            yield arg, default


def _stores(scope: ast.AST, fresh: Mapping[str, str]) -> Iterator[tuple[str, ast.expr]]:
    """(name, value) of every store inside `scope` that may put (a part of) `value` into
    the object a name holds: an item or attribute (`box[k] = v`, `self.t = v`), augmented
    assignment (`acc += v`), a call, which may keep its arguments in one another or in its
    receiver (`out.append(v)`, `heappush(h, v)`; not a side-effect free builtin or
    function of a `fresh` module)."""
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and node.value:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for part in ast.walk(t):
                    augmented = isinstance(node, ast.AugAssign) and part is t
                    root = _root(part) if isinstance(part, ast.Attribute | ast.Subscript) else None
                    root = root or (t.id if augmented and isinstance(t, ast.Name) else None)
                    if root is not None:
                        yield root, node.value
        elif isinstance(node, ast.Call) and not _keeps_nothing(node.func, fresh):
            args = [*node.args, *(k.value for k in node.keywords)]
            func = node.func
            receiver = [func.value] if isinstance(func, ast.Attribute) else []
            if _root(func) in fresh:
                receiver = []  # `out.append(v)` keeps v in out, `heapq.heappush(h, v)` in h
            value = ast.Tuple([*args, *receiver], ast.Load())
            for a in [*args, *receiver]:
                root = _root(a)
                if root is not None:
                    yield root, value


# Methods whose result shares nothing with their receiver (not `get`, `items`, `copy`...).
_STRING_METHODS = _READING_METHODS - {"copy", "get", "items", "values"}
# Builtins and nodes whose value is an iterator (reading it uses it up).
_LAZY_BUILTINS = frozenset({"map", "filter", "zip", "enumerate", "reversed", "iter", "input"})
_LAZY_NODES = (ast.GeneratorExp, ast.Lambda, ast.Yield, ast.YieldFrom, ast.Await, ast.NamedExpr)
# Calls whose result shares nothing with their arguments.
_FRESH_CALLS = frozenset(
    {"abs", "bin", "bool", "chr", "float", "hash", "hex", "int", "len", "oct", "ord", "range",
     "repr", "round", "str"}
)  # fmt: skip


def _aliases(value: ast.expr, foreign: Container[str], fresh: Mapping[str, str]) -> bool:
    """May `value` be (a part of) an object named in `foreign`? (Over-approximated: any
    expression reading one, but a number, string or comparison computed from it.) `fresh`:
    names of side-effect free modules, whose functions return fresh objects, or parts of
    their arguments (`collections.Counter(s)`), and whose attributes are functions and
    constants but for a few objects (`dataclasses.builtins`)."""
    if isinstance(value, ast.Name):
        return value.id in foreign
    if isinstance(value, ast.Constant | ast.Compare | ast.JoinedStr):
        return False
    found = _attribute_of(value, fresh)  # `math.pi`, `dataclasses.builtins`
    if found is not None:
        return _stdlib_object(*found)
    parts = [c for c in ast.iter_child_nodes(value) if isinstance(c, ast.expr)]
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Name) and func.id in _FRESH_CALLS:
            return False
        if isinstance(func, ast.Attribute) and func.attr in _STRING_METHODS:
            return False  # strings, counts, booleans: nothing to change through
        if _root(func) in fresh and not isinstance(func, ast.Call):
            parts = [*value.args, *(k.value for k in value.keywords)]
    return any(_aliases(c, foreign, fresh) for c in parts)


def _is_type_of(func: ast.expr) -> bool:
    return (
        isinstance(func, ast.Call)
        and isinstance(func.func, ast.Name)
        and func.func.id == "type"
        and len(func.args) == 1
    )


def _bound_method(node: ast.AST, holders: Container[str], called: Container[int]) -> bool:
    """`h.append` taken as a value (not called here) from an object in `holders`: calling
    it later changes `h` out of sight."""
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.ctx, ast.Load)
        and id(node) not in called
        and node.attr in _CHANGING_METHODS
        and _root(node.value) in holders
    )


def _loads(node: ast.AST, names: Container[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def _loads_any(nodes: Iterable[ast.AST], names: Container[str]) -> bool:
    return any(_loads(n, names) for n in nodes)


def _imported(stmt: ast.Import | ast.ImportFrom) -> dict[str, str]:
    """Names an import binds -> the top-level module each comes from ("" if relative)."""
    if isinstance(stmt, ast.ImportFrom):
        module = "" if stmt.level else (stmt.module or "").partition(".")[0]
        return {a.asname or a.name: module for a in stmt.names if a.name != "*"}
    return {a.asname or a.name.partition(".")[0]: a.name.partition(".")[0] for a in stmt.names}


def _origins(stmt: ast.Import | ast.ImportFrom) -> dict[str, str]:
    """Names `from m import n as a` binds -> the name each had in its module."""
    if isinstance(stmt, ast.Import):
        return {}
    return {a.asname or a.name: a.name for a in stmt.names if a.name != "*"}


def _walk_outside_calls(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes under `node`, but not the callees and arguments of its calls (what a
    call returns is what the callee's analysis decides)."""
    yield node
    if not isinstance(node, ast.Call):
        for child in ast.iter_child_nodes(node):
            yield from _walk_outside_calls(child)


def _walk_here(stmt: ast.stmt) -> Iterator[ast.AST]:
    """The nodes of a top-level statement outside the functions and classes it defines."""
    todo: list[ast.AST] = [stmt]
    while todo:
        node = todo.pop()
        yield node
        if node is stmt or not isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
        ):
            todo.extend(ast.iter_child_nodes(node))


def _names_only(target: ast.expr) -> bool:
    """A target binding plain names only (no attribute or item stores)."""
    if isinstance(target, ast.Name):
        return True
    if isinstance(target, ast.Starred):
        return _names_only(target.value)
    if isinstance(target, ast.Tuple | ast.List):
        return all(_names_only(e) for e in target.elts)
    return False


@functools.cache
def _stdlib_object(module: str, name: str) -> bool:
    """Is `name` of side-effect free stdlib `module` an object code may change or reach
    further through (a module: `dataclasses.builtins`; a table; a private name), not a
    function, class or constant? (The module is imported to see.)"""
    if name.startswith("_"):
        return True
    try:
        value = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return True
    constant = isinstance(value, int | float | complex | str | bytes | tuple | frozenset)
    return isinstance(value, types.ModuleType) or not (callable(value) or constant)


def _plain_result(module: str, name: str | None) -> bool:
    """Is what function `name` of side-effect free `module` returns no iterator?"""
    return module != "itertools" and name not in ("finditer", "merge", None)


def _changes_handed(name: str) -> bool:
    """Does the function `name` of a side-effect free module change what it is handed?"""
    return name in _CHANGING_CALLS or name.startswith("_") or not name


def _plain_attribute(attr: str) -> bool:
    """Not a way into the interpreter: a dunder outside a few plain ones, or a frame's."""
    if attr.startswith("__") and attr.endswith("__"):
        return attr in _PLAIN_DUNDERS
    return not attr.startswith(_FRAME_PREFIXES)


def _root(node: ast.expr) -> str | None:
    """The name an attribute/subscript/call chain starts from."""
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None
