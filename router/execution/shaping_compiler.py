"""Shaping compiled to Python: one generated function per (selection, runtime type).

The interpreter in ``shaping`` loops over a selection's ``OutputField`` tuples for every
object of every response, deciding per field what kind of value it expects. Here that
decision is made once: each (``SelectionPlan``, runtime type) becomes a straight-line
function, generated as source and ``exec``-ed the way graphql-jit compiles resolvers,
that reads the requested names, checks each leaf inline (``type(v) is str``), calls the
child's function for nested objects and returns the output dict as one literal, so keys
keep query order.

Only the common case is compiled: a response that completes without a value-completion
error. Anything else (a null in a non-null position, an invalid leaf, a ``__typename`` the
API schema does not know, an interface standing for a runtime type) raises ``Fallback``
and the caller shapes the whole response again with the interpreter, which stays the
single definition of error behaviour: messages, paths, null propagation. A response
that fell back costs the aborted fast attempt plus the interpreted pass.

Functions are compiled on first use and kept on the ``SelectionPlan`` (so per valuation
of the condition variables); runtime types met later are compiled when first seen. An
operation whose compiled fields would pass ``MAX_COMPILED_FIELDS`` is left to the
interpreter, bounding compile time and memory.

Generated code never contains text from the operation or the response except as
``repr()`` string constants; checks, types and child tables are passed in the function's
globals under generated names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphql import GraphQLCompositeType, GraphQLObjectType

from router.execution.selection_plan import (
    COMPOSITE,
    COPY,
    LEAF,
    LIST,
    NON_NULL,
    NON_NULL_LEAF_FIELD,
    TYPENAME,
    VALUE,
    OutputField,
    SelectionPlan,
    TypeShape,
)

__all__ = ["MAX_COMPILED_FIELDS", "Fallback", "ObjectFunction", "root_function"]

ObjectFunction = Callable[[dict[str, Any]], dict[str, Any]]

# Output fields compiled per condition valuation before the operation is left to the
# interpreter (the benchmark query compiles ~90).
MAX_COMPILED_FIELDS = 4000


class Fallback(Exception):
    """The compiled path met a value only the interpreter handles."""


def root_function(
    plan: SelectionPlan, types: Mapping[str, GraphQLCompositeType]
) -> ObjectFunction | None:
    """The compiled function for the root object, or None: interpret this operation."""
    if plan.context.over_budget:
        return None
    function = plan.compiled.get(None)
    if function is None:
        try:
            function = _compile_object(plan, plan.static_type, types)
        except Fallback:
            return None
        plan.compiled[None] = function
    return function


def _fail() -> Any:
    raise Fallback


def _null(value: Any) -> None:
    """A nullable item that is not an object: fine only when null."""
    if value is not None:
        raise Fallback


def _compile_object(
    plan: SelectionPlan,
    runtime: GraphQLCompositeType,
    types: Mapping[str, GraphQLCompositeType],
) -> ObjectFunction:
    fields = plan.fields_for(runtime)
    context = plan.context
    if context.over_budget or context.compiled_fields + len(fields) > (
        MAX_COMPILED_FIELDS
    ):
        context.over_budget = True
        raise Fallback
    context.compiled_fields += len(fields)
    return _Generator(types).object_function(fields, runtime)


def _resolver(
    plan: SelectionPlan, types: Mapping[str, GraphQLCompositeType]
) -> ObjectFunction:
    """Called for an object whose ``__typename`` the plan has no function for yet."""
    table = plan.compiled

    def resolve(obj: dict[str, Any]) -> dict[str, Any]:
        typename = obj.get("__typename")
        if typename is None:
            runtime = plan.static_type
        elif type(typename) is str and typename in types:
            runtime = types[typename]
        else:
            raise Fallback  # unknown (or @inaccessible) type: the interpreter reports
        function = table.get(runtime.name)
        if function is None:
            function = table[runtime.name] = _compile_object(plan, runtime, types)
        table[typename] = function
        return function(obj)

    return resolve


class _Generator:
    """Writes one object function and the helpers it needs, then ``exec``s them."""

    __slots__ = ("_count", "_functions", "_namespace", "_types")

    def __init__(self, types: Mapping[str, GraphQLCompositeType]) -> None:
        self._types = types
        self._count = 0
        self._functions: list[str] = []
        self._namespace: dict[str, Any] = {
            "_Fallback": Fallback,
            "_fail": _fail,
            "_null": _null,
        }

    def object_function(
        self, fields: tuple[OutputField, ...], runtime: GraphQLCompositeType
    ) -> ObjectFunction:
        reads: list[tuple[str, str]] = []  # (variable, fetched name as a literal)
        checks: list[str] = []
        entries = []
        for mode, name, exact, check, shape, _, source in fields:
            key = repr(name)
            if mode == TYPENAME:
                if not isinstance(runtime, GraphQLObjectType):
                    checks.append("    raise _Fallback")
                entries.append(f"{key}: {runtime.name!r}")
                continue
            var = self._name("v")
            reads.append((var, repr(source)))
            if mode == VALUE:
                assert shape is not None
                self._emit(shape, var, checks, "    ")
            elif mode != COPY:
                bad = self._leaf_bad(var, exact, check, mode == NON_NULL_LEAF_FIELD)
                if bad:
                    checks.append(f"    if {bad}: raise _Fallback")
            entries.append(f"{key}: {var}")
        lines = ["def _object(obj):"]
        if reads:
            # Subscripts beat .get calls; a missing name (null) reads them again.
            lines.append("    try:")
            lines.extend(f"        {var} = obj[{key}]" for var, key in reads)
            lines.append("    except KeyError:")
            lines.append("        get = obj.get")
            lines.extend(f"        {var} = get({key})" for var, key in reads)
        lines.extend(checks)
        lines.append("    return {" + ", ".join(entries) + "}")
        self._functions.append("\n".join(lines))
        namespace = self._namespace
        exec("\n\n".join(self._functions), namespace)
        function: ObjectFunction = namespace["_object"]
        return function

    def _name(self, prefix: str, value: Any = None) -> str:
        self._count += 1
        name = f"{prefix}{self._count}"
        if value is not None:
            self._namespace[name] = value
        return name

    def _leaf_bad(
        self, var: str, exact: type | None, check: Any, non_null: bool
    ) -> str:
        """An expression true when ``var`` is not a valid value for the leaf: the
        interpreter's test, ``type(v) is exact or (v is not None and check(v))``."""
        if check is None:
            return f"{var} is None" if non_null else ""
        test = f"not {self._name('_k', check)}({var})"
        test = (
            f"{var} is None or {test}" if non_null else f"{var} is not None and {test}"
        )
        if exact is None:
            return test
        exact_name = self._name("_t", exact)
        if non_null:
            return f"type({var}) is not {exact_name} and ({test})"
        return f"type({var}) is not {exact_name} and {test}"

    def _emit(self, shape: TypeShape, var: str, lines: list[str], pad: str) -> None:
        """Statements completing ``var`` in place for ``shape``."""
        non_null = shape.kind == NON_NULL
        if non_null:
            shape = shape.inner  # type: ignore[assignment]
        otherwise = f"{pad}else: raise _Fallback"
        if not non_null:
            otherwise = f"{pad}elif {var} is not None: raise _Fallback"
        if shape.kind == LEAF:
            bad = self._leaf_bad(var, shape.exact, shape.check, non_null)
            if bad:
                lines.append(f"{pad}if {bad}: raise _Fallback")
        elif shape.kind == LIST:
            item = self._item(shape.inner)  # type: ignore[arg-type]
            lines.append(
                f"{pad}if type({var}) is list: {var} = [{item} for x in {var}]"
            )
            lines.append(otherwise)
        else:
            assert shape.kind == COMPOSITE
            dispatch = self._dispatch(shape.selection)  # type: ignore[arg-type]
            lines.append(
                f"{pad}if type({var}) is dict: {var} = {dispatch.format(var)}({var})"
            )
            lines.append(otherwise)

    def _dispatch(self, plan: SelectionPlan) -> str:
        """The expression (``{0}``: the object) choosing the function for an object of
        ``plan``: known by ``__typename``, or the resolver that compiles it."""
        table = self._name("_T", plan.compiled)
        resolve = self._name("_R", _resolver(plan, self._types))
        return f"({table}.get({{0}}.get('__typename')) or {resolve})"

    def _item(self, shape: TypeShape) -> str:
        """The expression completing list item ``x``."""
        non_null = shape.kind == NON_NULL
        inner: TypeShape = shape.inner if non_null else shape  # type: ignore[assignment]
        if inner.kind == COMPOSITE:
            dispatch = self._dispatch(inner.selection)  # type: ignore[arg-type]
            otherwise = "_fail()" if non_null else "_null(x)"
            return f"{dispatch.format('x')}(x) if type(x) is dict else {otherwise}"
        completer = self._name("_c")
        lines = [f"def {completer}(c):"]
        self._emit(shape, "c", lines, "    ")
        lines.append("    return c")
        self._functions.append("\n".join(lines))
        if inner.kind == LEAF and inner.exact is not None:
            exact_name = self._name("_t", inner.exact)
            return f"x if type(x) is {exact_name} else {completer}(x)"
        return f"{completer}(x)"
