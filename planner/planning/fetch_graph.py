"""From the chosen paths to a dependency graph of fetch groups (QUERY_PLANNING.md §2.5).

The chosen options are merged into a path tree; walking it fills fetch groups: a field
goes into the current group, a key jump adds the key to the current group and opens (or
reuses) an ``_entities`` group in the target subgraph, a root-type jump opens a root
group. ``@requires`` fields are collected where the entity already is when that subgraph
has them (hoisted to the parent group right after a key jump), otherwise fetched by
their own groups, and the requiring field goes into a *post-requires* group whose
representations carry them. Optimisation passes then drop groups left empty, merge
sibling groups that hit the same subgraph at the same path, and remove dependencies
implied by others.

Under ``@defer`` every group opened inside a deferred fragment belongs to that fragment's
part (``FetchGroup.defer``); groups of different parts never merge, and each part
the plan waits, for each part, for the groups of the enclosing part its groups depend
on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graphql import DirectiveNode, SelectionSetNode

from planner.planning.errors import QueryPlanningError
from planner.planning.federation import Federation, KeyEntry
from planner.planning.operation import (
    DeferInfo,
    OpFragment,
    condition_variables,
    merge_selections,
    variable_conditions,
)
from planner.planning.paths import (
    FieldStep,
    FragmentStep,
    GraphPath,
    KeyStep,
    PathAdvancer,
    RootJumpStep,
    Step,
    Vertex,
)
from planner.planning.selection import (
    FragmentSelection,
    SelectionTree,
    arguments_key,
    printed,
)
from planner.planning.traversal import collect_branches_from, field_set_selections
from planner.query_plan import FetchRewrite, KeyRenamer, ValueSetter
from planner.supergraph.fieldsets import parse_field_set

__all__ = [
    "DeferBlock",
    "FetchGraph",
    "FetchGroup",
    "PathTree",
    "RequirementPlans",
    "SharedSubtrees",
    "build_fetch_graph",
]

# Variable @skip/@include directives in force where a selection is added.
Conditions = tuple[DirectiveNode, ...]
# Type conditions a jump is under: (position in the response path, type condition).
Branch = frozenset[tuple[int, str]]


class PathTree:
    """Chosen paths merged by common prefix; children keep insertion order."""

    __slots__ = ("children",)

    def __init__(self) -> None:
        self.children: dict[Step, PathTree] = {}

    @classmethod
    def from_paths(
        cls, paths: list[GraphPath], shared: SharedSubtrees | None = None
    ) -> PathTree:
        """The tree of ``paths``. With ``shared``, a subtree already built from the
        same path objects (in the same order, at the same depth) is reused: the
        search builds a tree per choice it evaluates, and choices differ in a few
        branches. Trees are only read once built."""
        if shared is not None:
            return cls._shared(paths, 0, shared)
        root = cls()
        for path in paths:
            node = root
            for step in path.steps:
                child = node.children.get(step)
                if child is None:
                    child = node.children[step] = cls()
                node = child
        return root

    @classmethod
    def _shared(
        cls, paths: list[GraphPath], depth: int, shared: SharedSubtrees
    ) -> PathTree:
        # The paths through a node all share their first ``depth`` steps, so the
        # path objects and the depth say what is below it. Kept with the tree, the
        # paths keep their ids unique.
        key = (depth, *map(id, paths))
        found = shared.get(key)
        if found is not None:
            return found[0]
        node = cls()
        by_step: dict[Step, list[GraphPath]] = {}
        for path in paths:
            if len(path.steps) > depth:
                step = path.steps[depth]
                group = by_step.get(step)
                if group is None:
                    by_step[step] = [path]
                else:
                    group.append(path)
        children = node.children
        for step, group in by_step.items():
            children[step] = cls._shared(group, depth + 1, shared)
        shared[key] = (node, paths)
        return node


# Subtrees by (depth, ids of the paths through them): see ``PathTree.from_paths``.
SharedSubtrees = dict[tuple[int, ...], tuple[PathTree, list[GraphPath]]]


@dataclass(slots=True)
class DeferBlock:
    """A deferred fragment met while building: where it is in the response (list
    levels left out), the part it is nested in (None: the primary part), and its
    selections."""

    info: DeferInfo
    query_path: tuple[str, ...]
    parent: str | None
    fragment: OpFragment


class FetchGroup:
    """One future subgraph fetch."""

    def __init__(
        self,
        group_id: int,
        graph: str,
        parent_type: str,
        merge_at: tuple[str, ...],
        is_entity: bool,
    ) -> None:
        self.id = group_id
        self.graph = graph
        self.parent_type = parent_type
        self.merge_at = merge_at
        self.is_entity = is_entity
        self.selection = SelectionTree()
        self.inputs = SelectionTree() if is_entity else None
        self.parents: list[FetchGroup] = []
        self.input_rewrites: list[FetchRewrite] = []
        # Enters a subgraph that sees the objects as an @interfaceObject: its selection
        # cannot tell them apart by type, so what it asks is asked of every object
        # it represents.
        self.into_interface_object = False
        # Key-jump groups opened from one parent position share an origin; Apollo lists
        # those in reverse order of creation.
        self.origin: tuple[int, int] | None = None
        # The type conditions (position in the response path, type) the jumps into
        # this group were under, one set per jump (a merged group has several), the
        # @requires fields its inputs need (optional ones too: with their @skip or
        # @include on, the field is asked of every object of the fetch), and those
        # every object it represents has fetched: see `_mergeable_branches`.
        self.branches: frozenset[Branch] = frozenset({frozenset()})
        self.required: frozenset[str] = frozenset()
        self.available: frozenset[str] = frozenset()
        # Groups with the same share key differ only by branch: one fetch unless
        # their @requires inputs forbid it.
        self.share_key: tuple[int, str, tuple[str, ...], str] | None = None
        # The Flatten path with the branch's type conditions in it (`... on Book`), for
        # a group kept apart from a sibling at the same path: only its objects.
        self.typed_path: tuple[str, ...] | None = None
        # The deferred part the group belongs to (a ``DeferInfo.key``; None: primary).
        self.defer: str | None = None

    def need(self, input_type: str, fields: SelectionSetNode) -> None:
        """Records @requires fields this group's inputs need, fetched for every object
        of its own branches."""
        needed = frozenset(
            f"{input_type}.{printed(selection)}" for selection in fields.selections
        )
        self.required |= needed
        self.available |= needed

    def depends_on(self, parent: FetchGroup) -> None:
        if parent is not self and parent not in self.parents:
            self.parents.append(parent)

    def __repr__(self) -> str:
        return f"FetchGroup({self.id}, {self.graph}, {'.'.join(self.merge_at)})"


class FetchGraph:
    def __init__(
        self,
        groups: list[FetchGroup],
        root_order: list[FetchGroup],
        defers: dict[str, DeferBlock] | None = None,
        unnarrowed: frozenset[tuple[tuple[str, ...], str]] = frozenset(),
    ) -> None:
        self.groups = groups
        self.root_order = root_order
        # The deferred fragments, in the order the walk met them.
        self.defers: dict[str, DeferBlock] = defers or {}
        # (response path, type) of client fragments that keep every object there
        # (``... @include(if: $x)``): no type condition for a Flatten path.
        self.unnarrowed = unnarrowed

    def children_of(self, group: FetchGroup) -> list[FetchGroup]:
        return [g for g in self.groups if group in g.parents]


_TYPENAME_SELECTION = parse_field_set("__typename")


# How a @requires condition is planned from where the entity is, by (that vertex,
# requiring subgraph, type, field set): the key back into the requiring subgraph and
# the tree of paths that fetch the required fields. The same for every choice one
# operation's search evaluates, so kept between them (``build_fetch_graph``).
RequirementPlan = tuple[KeyEntry | None, PathTree]
RequirementPlans = dict[tuple[Vertex, str, str, str], RequirementPlan]


def build_fetch_graph(
    federation: Federation,
    advancer: PathAdvancer,
    tree: PathTree,
    root_type: str,
    serial_roots: bool,
    requirements: RequirementPlans | None = None,
) -> FetchGraph:
    """The fetch graph of ``tree``. ``requirements``: @requires conditions already
    planned with this ``advancer`` (filled in as they are planned)."""
    builder = _Builder(
        federation,
        advancer,
        root_type,
        serial_roots,
        {} if requirements is None else requirements,
    )
    builder.build(tree)
    graph = FetchGraph(
        builder.groups,
        builder.root_order,
        builder.defers,
        frozenset(builder.unnarrowed),
    )
    optimize(graph)
    return graph


class _Builder:
    def __init__(
        self,
        federation: Federation,
        advancer: PathAdvancer,
        root_type: str,
        serial_roots: bool,
        requirements: RequirementPlans,
    ) -> None:
        self.fed = federation
        self.requirements = requirements
        self.advancer = advancer
        self.root_type = root_type
        self.serial_roots = serial_roots
        self.groups: list[FetchGroup] = []
        self.root_order: list[FetchGroup] = []
        self._entity_groups: dict[
            tuple[int, str, tuple[str, ...], str, Branch], FetchGroup
        ] = {}
        # The type conditions the walk is under: (position in the response path, type).
        self._branch: Branch = frozenset()
        self.unnarrowed: set[tuple[tuple[str, ...], str]] = set()
        self._touched: set[int] = set()
        self._requirement_depth = 0
        # The key jump being walked into each entity selection: (group id, id of the
        # selection) -> (the group and selection it left from, the type it left as).
        # Set right before the walk below the jump, so it names the current one.
        self._entered: dict[tuple[int, int], tuple[FetchGroup, SelectionTree, str]] = {}
        # What each fetch into an interface object asks, by response path.
        self._asked: dict[
            tuple[int, str, tuple[str, ...], str], dict[tuple[str, ...], str]
        ] = {}
        # The deferred part the walk is in, and the deferred fragments met so far;
        # the response path walked, with the type conditions of client fragments.
        self._defer: str | None = None
        self._query_path: tuple[str, ...] = ()
        self.defers: dict[str, DeferBlock] = {}

    def _new_group(
        self,
        graph: str,
        parent_type: str,
        merge_at: tuple[str, ...],
        is_entity: bool,
    ) -> FetchGroup:
        group = FetchGroup(len(self.groups), graph, parent_type, merge_at, is_entity)
        group.defer = self._defer
        self.groups.append(group)
        return group

    def build(self, tree: PathTree) -> None:
        roots: dict[str, FetchGroup] = {}
        for step, child in tree.children.items():
            assert isinstance(step, FieldStep)
            if self.serial_roots:
                last = self.root_order[-1] if self.root_order else None
                group = last if last is not None and last.graph == step.graph else None
            else:
                group = roots.get(step.graph)
            if group is None:
                group = self._new_group(step.graph, self.root_type, (), False)
                roots[step.graph] = group
                self.root_order.append(group)
            self._field(step, child, group, group.selection, (), ())

    def _visit(
        self,
        node: PathTree,
        group: FetchGroup,
        selection: SelectionTree,
        path: tuple[str, ...],
        conditions: Conditions,
    ) -> None:
        walk = _WALK_STEP
        for step, child in node.children.items():
            walk[type(step)](self, step, child, group, selection, path, conditions)

    def _field(
        self,
        step: FieldStep,
        node: PathTree,
        group: FetchGroup,
        selection: SelectionTree,
        path: tuple[str, ...],
        conditions: Conditions,
    ) -> None:
        field = step.field
        inner_conditions = (
            conditions + variable_conditions(field.directives)
            if field.directives
            else conditions
        )
        if step.requires:
            group, selection = self._requires(
                step, group, selection, path, inner_conditions
            )
        self._touched.add(group.id)
        if field.typename_before:
            selection.add_field("__typename")
        added = selection.add_field(
            field.name,
            field.alias,
            field.arguments,
            field.directives,
            field.selections is not None and field.name != "__typename",
        )
        if added.children is None:
            return
        if self.fed.is_abstract(step.field_type):
            added.children.add_field("__typename")
        depth = self.fed.list_depth(step.parent_type, field.name)
        child_path = (*path, field.response_name, *("@",) * depth)
        outer_query_path = self._query_path
        self._query_path = (*outer_query_path, field.response_name)
        try:
            self._visit(node, group, added.children, child_path, inner_conditions)
        finally:
            self._query_path = outer_query_path

    def _fragment(
        self,
        step: FragmentStep,
        node: PathTree,
        group: FetchGroup,
        selection: SelectionTree,
        path: tuple[str, ...],
        conditions: Conditions,
    ) -> None:
        directives = step.fragment.directives if step.fragment else ()
        defer = step.fragment.defer if step.fragment is not None else None
        if defer is not None and not defer.narrows and not directives:
            # A deferred fragment that does not narrow the type: its fields land
            # where it is, as Apollo prints them.
            fragment_children = selection
        else:
            fragment = selection.add_fragment(step.printed_condition, directives)
            fragment_children = fragment.children
        if self.fed.is_abstract(
            step.type_condition
        ) and not self.fed.is_interface_object(step.type_condition, step.graph):
            fragment_children.add_field("__typename")
        outer_branch, outer_defer = self._branch, self._defer
        self._branch = outer_branch | {(len(path), step.type_condition)}
        if step.fragment is not None and not step.fragment.narrows:
            self.unnarrowed.add((path, step.type_condition))
        if defer is not None:
            if defer.key not in self.defers:
                self.defers[defer.key] = DeferBlock(
                    defer,
                    self._query_path,
                    outer_defer,
                    step.fragment,  # type: ignore[arg-type]
                )
            self._defer = defer.key
        outer_query_path = self._query_path
        # A deferred fragment's own type condition is in its subselection, not its
        # path; the fragments deferred inside one that narrows see it in theirs.
        # PORT_NOTE: the client's type condition, not the one this subgraph has it as
        # (``... on Node`` that a subgraph without ``Node`` asks as ``... on Book`` and
        # ``... on Review``): Apollo's path names the first of those, and its deferred
        # part misses the objects of the others.
        if (
            (defer is None or defer.narrows)
            and step.fragment is not None
            and not step.fragment.untyped
            and step.printed_condition is not None
        ):
            self._query_path = (
                *outer_query_path,
                f"... on {step.fragment.type_condition}",
            )
        try:
            self._visit(
                node,
                group,
                fragment_children,
                path,
                conditions + variable_conditions(directives)
                if directives
                else conditions,
            )
        finally:
            self._branch, self._defer = outer_branch, outer_defer
            self._query_path = outer_query_path

    def _add_key(
        self,
        group: FetchGroup,
        selection: SelectionTree,
        key: SelectionSetNode,
        *,
        last: bool = False,
    ) -> None:
        """Adds key fields where an entity is; ``__typename`` too, unless this is the
        top of an ``_entities`` selection, whose type the representation already gave.
        ``last``: a jump into a deferred part, which Apollo plans after the enclosing
        part: its key goes after the fields there (``__typename`` still first)."""
        top = group.is_entity and _is_top_fragment(group, selection)
        if last:
            if not top:
                selection.add_field("__typename", first=True)
            selection.add_node_selection(key)
        elif top:
            selection.add_node_selection(key, first=True)
        else:
            selection.add_node_selection(_with_typename(key), first=True)

    def _entity_group(
        self,
        parent: FetchGroup,
        parent_selection: SelectionTree,
        graph: str,
        path: tuple[str, ...],
        kind: str = "key",
        *,
        by_branch: bool = True,
    ) -> FetchGroup:
        """The entity fetch from ``parent`` into ``graph`` at ``path``. Jumps under
        different type conditions open different groups (``by_branch``), which
        ``optimize`` merges back where that is safe."""
        branch = self._branch if by_branch else frozenset()
        if self._defer is not None:
            kind = f"{kind}@defer:{self._defer}"
        cache_key = (parent.id, graph, path, kind, branch)
        group = self._entity_groups.get(cache_key)
        if group is None:
            group = self._new_group(graph, "", path, True)
            group.depends_on(parent)
            group.branches = frozenset({branch})
            group.share_key = cache_key[:4]
            if kind.startswith("key"):
                group.origin = (parent.id, id(parent_selection))
            self._entity_groups[cache_key] = group
        return group

    def _key(
        self,
        step: KeyStep,
        node: PathTree,
        group: FetchGroup,
        selection: SelectionTree,
        path: tuple[str, ...],
        conditions: Conditions,
    ) -> None:
        self._add_key(
            group,
            selection,
            step.key.selection,
            last=self._defer is not None and group.defer != self._defer,
        )
        into_interface_object = self.fed.is_interface_object(
            step.target_type, step.to_graph
        ) and not self.fed.is_interface_object(step.source_type, step.from_graph)
        if into_interface_object:
            target = self._interface_object_group(group, selection, step, node, path)
        else:
            target = self._entity_group(group, selection, step.to_graph, path)
        self._add_input(target, step.source_type, step.key.selection)
        # An object met as an interface object may have got its own type from an
        # earlier fetch (one that resolved it for a fragment on its type, or a
        # deferred part's primary one): into an interface object's subgraph, it goes
        # as the interface again.
        if self.fed.is_interface_object(step.target_type, step.to_graph):
            setter = ValueSetter(
                (f"... on {step.source_type}", "__typename"), step.target_type
            )
            if setter not in target.input_rewrites:
                target.input_rewrites.append(setter)
            if into_interface_object or self._defer is not None:
                target.into_interface_object = True
        inner = _entity_selection(target, step.target_type, conditions)
        if self.fed.is_abstract(step.target_type) and not self.fed.is_interface_object(
            step.target_type, step.to_graph
        ):
            inner.add_field("__typename", first=True)
        self._entered[(target.id, id(inner))] = (group, selection, step.source_type)
        self._visit(node, target, inner, path, conditions)

    def _interface_object_group(
        self,
        group: FetchGroup,
        selection: SelectionTree,
        step: KeyStep,
        node: PathTree,
        path: tuple[str, ...],
    ) -> FetchGroup:
        """The fetch into an interface object for this jump. Such a subgraph cannot
        tell the objects' types apart, so one fetch asks every field of every object
        it represents: jumps from different types share it unless they would ask one
        response name for different fields or arguments (``... on Book { score(scale:
        10) }`` beside ``... on Movie { score }``), which then go to fetches of their
        own (an alias renamed back would land on every object)."""
        wanted = _field_signature(node)
        attempt = 0
        while True:
            kind = "key" if attempt == 0 else f"key:{step.source_type}:{attempt}"
            cache_key = (group.id, step.to_graph, path, kind)
            existing = self._entity_groups.get((*cache_key, frozenset()))
            asked = self._asked.setdefault(cache_key, {})
            if existing is None or all(
                asked.get(response, field) == field
                for response, field in wanted.items()
            ):
                asked.update(wanted)
                return self._entity_group(
                    group, selection, step.to_graph, path, kind, by_branch=False
                )
            attempt += 1

    def _add_input(
        self,
        group: FetchGroup,
        type_name: str,
        fields: SelectionSetNode,
        *,
        conditions: Conditions | None = None,
    ) -> None:
        """Adds ``fields`` to ``group``'s inputs; with ``conditions`` (the @skip and
        @include the requiring field is under), they may be missing from a
        representation while the conditions are off."""
        assert group.inputs is not None
        fragment = group.inputs.add_fragment(type_name)
        fragment.children.add_field("__typename")
        fragment.children.add_node_selection(
            fields,
            optional=bool(conditions),
            needed_when=(condition_variables(conditions),) if conditions else (),
        )

    def _root_jump(
        self,
        step: RootJumpStep,
        node: PathTree,
        group: FetchGroup,
        selection: SelectionTree,
        path: tuple[str, ...],
        conditions: Conditions,
    ) -> None:
        """A field returning a root type continues in another subgraph's root: the
        parent only needs ``__typename`` there."""
        selection.add_field("__typename")
        target = self._new_group(step.to_graph, step.root_type, path, False)
        target.depends_on(group)
        inner = conditional_fragment(target.selection, step.root_type, conditions)
        self._visit(node, target, inner, path, conditions)

    # -- @requires -----------------------------------------------------------

    def _requires(
        self,
        step: FieldStep,
        group: FetchGroup,
        selection: SelectionTree,
        path: tuple[str, ...],
        conditions: Conditions,
    ) -> tuple[FetchGroup, SelectionTree]:
        assert step.requires is not None
        type_name = step.parent_type
        required, renamers = self.fed.required_fields(type_name, step.requires)
        # Right after a key jump, the entity is also where the jump left from: the
        # required fields can come from there, represented as the type it left as.
        anchor_group, anchor_selection, input_type = group, selection, type_name
        entered = self._entered.get((group.id, id(selection)))
        # PORT_NOTE: also when the jump left an enclosing part (a deferred field
        # with @requires): the required fields join the fetch the key comes from,
        # where Apollo fetches them again inside the deferred part (one fetch more).
        if group.is_entity and entered is not None and group.merge_at == path:
            anchor_group, anchor_selection, input_type = entered
        anchor = Vertex(input_type, anchor_group.graph)
        # Not into an interface object: that fetch represents every object jumping
        # there, and would ask the field of objects without its required fields.
        # Required fields fetched under variable conditions (@skip/@include) are
        # optional in the representation: with the conditions off, the fetch, shared
        # with jumps outside them, still represents the object without them (the
        # field that requires them is off too).
        if (
            not self._requirement_depth
            and anchor_group is not group
            and not group.into_interface_object
            and self.advancer.covers(anchor, required)
        ):
            anchor_selection.add_node_selection(required)
            self._add_input(group, input_type, required, conditions=conditions)
            group.need(input_type, required)
            _add_renamers(group, renamers)
            return group, selection
        # The groups that fetch the required fields are what the post-requires group
        # waits for.
        memo_key = (anchor, step.graph, type_name, step.requires)
        planned = self.requirements.get(memo_key)
        if planned is None:
            planned = self.requirements[memo_key] = self._plan_requirement(
                step, anchor, required
            )
        key, tree = planned
        outer_touched = self._touched
        self._touched = set()
        self._requirement_depth += 1
        self._visit(tree, anchor_group, anchor_selection, path, conditions)
        self._requirement_depth -= 1
        suppliers = [g for g in self.groups if g.id in self._touched]
        self._touched = outer_touched | self._touched
        # Into an interface object, objects of different types cannot share one:
        # it would ask each one's @requires field of the others too.
        kind = (
            f"requires:{input_type}"
            if self.fed.is_interface_object(type_name, step.graph)
            else "requires"
        )
        post = self._entity_group(
            anchor_group, anchor_selection, step.graph, path, kind
        )
        for supplier in suppliers:
            if supplier is not anchor_group:
                post.depends_on(supplier)
        self._add_input(post, input_type, required, conditions=conditions)
        post.need(input_type, required)
        _add_renamers(post, renamers)
        if key is not None:
            self._add_key(anchor_group, anchor_selection, key.selection)
            self._add_input(post, input_type, key.selection)
        if self.fed.is_interface_object(type_name, step.graph):
            # The objects come with their own type; the interface object's subgraph
            # knows them only as the interface.
            setter = ValueSetter((f"... on {input_type}", "__typename"), type_name)
            if setter not in post.input_rewrites:
                post.input_rewrites.append(setter)
            post.into_interface_object = True
        return post, _entity_selection(post, type_name, conditions)

    def _plan_requirement(
        self, step: FieldStep, anchor: Vertex, required: SelectionSetNode
    ) -> RequirementPlan:
        """The key back into the requiring subgraph (one the entity's subgraph has,
        or else one whose fields are planned like the required ones), and the paths
        that fetch the required fields from the entity where it already is."""
        type_name = step.parent_type
        keys = self.fed.keys_into(type_name, step.graph)
        key = next((k for k in keys if self.advancer.covers(anchor, k.selection)), None)
        wanted = field_set_selections(required)
        if key is None and keys:
            key = keys[0]
            wanted = merge_selections([*wanted, *field_set_selections(key.selection)])
        branches = collect_branches_from(self.advancer, anchor, wanted)
        if not branches:
            raise QueryPlanningError(
                "QUERY_PLANNING_FAILED",
                f"The fields {type_name}.{step.field.name} requires cannot be fetched "
                f"from subgraph '{anchor.graph}'.",
            )
        paths = [
            path
            for branch in branches
            for path in min(branch.options, key=lambda o: sum(p.cost for p in o))
        ]
        return key, PathTree.from_paths(paths)


# How ``_Builder._visit`` walks each kind of step: plain functions, so that a builder
# holds no bound method of its own (a cycle would keep every fetch graph the search
# builds alive until the cycle collector runs).
_WALK_STEP: dict[type, Callable[..., None]] = {
    FieldStep: _Builder._field,
    FragmentStep: _Builder._fragment,
    KeyStep: _Builder._key,
    RootJumpStep: _Builder._root_jump,
}


def _field_signature(
    node: PathTree, prefix: tuple[str, ...] = ()
) -> dict[tuple[str, ...], str]:
    """Response path -> field and arguments, for the fields ``node`` asks in the fetch
    it is walked into (key jumps below start other fetches)."""
    signature: dict[tuple[str, ...], str] = {}
    for step, child in node.children.items():
        if isinstance(step, FieldStep):
            field = step.field
            at = (*prefix, field.response_name)
            signature[at] = f"{field.name}({arguments_key(field.arguments)})"
            signature.update(_field_signature(child, at))
        elif isinstance(step, FragmentStep):
            signature.update(_field_signature(child, prefix))
    return signature


def _add_renamers(group: FetchGroup, renamers: tuple[KeyRenamer, ...]) -> None:
    """Input renamers go before the group's other input rewrites: they name fields by
    the representation's own type, which a ``ValueSetter`` may change."""
    new = [r for r in renamers if r not in group.input_rewrites]
    group.input_rewrites[:0] = new


def _entity_selection(
    group: FetchGroup, type_name: str, conditions: Conditions
) -> SelectionTree:
    """Where an entity fetch's fields for ``type_name`` go. Under ``@skip``/``@include``
    they get a fragment carrying those directives: nested in the plain fragment on the
    type when the fetch already has one, else at the top (as Apollo prints them)."""
    if not conditions:
        return group.selection.add_fragment(type_name).children
    plain = next(
        (
            item
            for item in group.selection
            if isinstance(item, FragmentSelection)
            and item.type_condition == type_name
            and not item.directives
        ),
        None,
    )
    tree = group.selection if plain is None else plain.children
    return conditional_fragment(tree, type_name, conditions)


def conditional_fragment(
    tree: SelectionTree, type_condition: str | None, conditions: Conditions
) -> SelectionTree:
    """``... on T <conditions> { }`` in ``tree``; its children. A location takes one
    ``@skip`` and one ``@include``: conditions that repeat a directive (a fragment
    under ``@skip(if: $a)`` inside one under ``@skip(if: $b)``) nest, one layer each."""
    layers: list[list[DirectiveNode]] = []
    seen: set[str] = set()
    for directive in conditions:
        text = printed(directive)
        if text in seen:
            continue
        seen.add(text)
        name = directive.name.value
        layer = next(
            (each for each in layers if all(d.name.value != name for d in each)), None
        )
        if layer is None:
            layers.append([directive])
        else:
            layer.append(directive)
    if not layers:
        return tree.add_fragment(type_condition).children
    for layer in layers:
        tree = tree.add_fragment(type_condition, tuple(layer)).children
    return tree


def _is_top_fragment(group: FetchGroup, selection: SelectionTree) -> bool:
    """Whether ``selection`` is the top of the group's ``_entities`` selection (its
    fragment on the entity type, or a conditional fragment right inside it)."""
    for item in group.selection:
        if not isinstance(item, FragmentSelection):
            continue
        if item.children is selection:
            return True
        for inner in item.children:
            if (
                isinstance(inner, FragmentSelection)
                and inner.type_condition == item.type_condition
                and inner.children is selection
            ):
                return True
    return False


# Keys with ``__typename`` first, one per key node (kept, so its id stays unique): the
# same node comes back for every plan evaluated, and its fields are read once.
_WITH_TYPENAME: dict[int, tuple[SelectionSetNode, SelectionSetNode]] = {}


def _with_typename(selection: SelectionSetNode) -> SelectionSetNode:
    cached = _WITH_TYPENAME.get(id(selection))
    if cached is not None and cached[0] is selection:
        return cached[1]
    if len(_WITH_TYPENAME) > 50_000:
        _WITH_TYPENAME.clear()
    result = SelectionSetNode(
        selections=(*_TYPENAME_SELECTION.selections, *selection.selections)
    )
    _WITH_TYPENAME[id(selection)] = (selection, result)
    return result


# -- optimisation passes -------------------------------------------------------


def optimize(graph: FetchGraph) -> None:
    _remove_empty(graph)
    while _merge_siblings(graph):
        pass
    _type_kept_apart(graph)
    _reduce(graph)


def _type_kept_apart(graph: FetchGraph) -> None:
    """A group kept apart from a sibling at its path for its @requires inputs must
    reach only the objects of its branch: without the type conditions in its path, the
    fetch would also represent the sibling's objects, with the inputs they lack."""
    for group in graph.groups:
        if not group.is_entity or not group.required or len(group.branches) != 1:
            continue
        (branch,) = group.branches
        siblings = [
            other
            for other in graph.groups
            if other is not group
            and other.is_entity
            and other.graph == group.graph
            and other.merge_at == group.merge_at
            and set(other.parents) == set(group.parents)
        ]
        if branch and siblings:
            group.typed_path = _with_type_conditions(
                group.merge_at, branch, graph.unnarrowed
            )


def _with_type_conditions(
    path: tuple[str, ...],
    branch: Branch,
    unnarrowed: frozenset[tuple[tuple[str, ...], str]],
) -> tuple[str, ...]:
    """``path`` with the branch's type conditions, but those of fragments that keep
    every object: the objects there are of one type, fetched without ``__typename``,
    and a condition would keep none of them."""
    steps = list(path)
    for position, type_name in sorted(branch, reverse=True):
        if (path[:position], type_name) not in unnarrowed:
            steps.insert(position, f"... on {type_name}")
    return tuple(steps)


def _remove_empty(graph: FetchGraph) -> None:
    for group in list(graph.groups):
        if group.selection.has_fields():
            continue
        for child in graph.children_of(group):
            child.parents.remove(group)
            for parent in group.parents:
                child.depends_on(parent)
        graph.groups.remove(group)
        if group in graph.root_order:
            graph.root_order.remove(group)


def _merge_siblings(graph: FetchGraph) -> bool:
    # Only entity groups of one part, subgraph and path can merge: each is compared
    # with the later ones of its bucket, in the order of the whole list, so the first
    # mergeable pair is the one a scan of every pair would find.
    buckets: dict[tuple[str | None, str, tuple[str, ...]], list[FetchGroup]] = {}
    later: list[tuple[FetchGroup, list[FetchGroup], int]] = []
    for group in graph.groups:
        if group.is_entity:
            bucket = buckets.setdefault((group.defer, group.graph, group.merge_at), [])
            bucket.append(group)
            later.append((group, bucket, len(bucket)))
    for group, bucket, after in later:
        if len(bucket) == after:
            continue
        parents = set(group.parents)
        for other in bucket[after:]:
            if (
                set(other.parents) == parents
                and (
                    (group.share_key is not None and group.share_key == other.share_key)
                    or _mergeable_inputs(group, other)
                )
                and _mergeable_branches(group, other)
            ):
                _absorb(graph, group, other)
                return True
    return False


def _mergeable_inputs(group: FetchGroup, other: FetchGroup) -> bool:
    """Groups into an interface object merge only when they represent the same objects
    (the same inputs): merged, each field would be asked of every object of both, and
    a @requires field of objects that lack its required fields."""
    if not (group.into_interface_object or other.into_interface_object):
        return True
    assert group.inputs is not None and other.inputs is not None
    return group.inputs.print_compact() == other.inputs.print_compact()


def _covers(group: FetchGroup, other: FetchGroup) -> bool:
    """Whether every object ``other`` represents is one ``group`` represents too: each
    of ``other``'s branches is at least as narrow as one of ``group``'s."""
    return all(
        any(mine <= theirs for mine in group.branches) for theirs in other.branches
    )


def _available_to(group: FetchGroup, other: FetchGroup) -> frozenset[str]:
    """The @requires fields ``group``'s objects have, counting those ``other``
    fetched for them when ``other`` represents all of them."""
    return group.available | (other.available if _covers(other, group) else frozenset())


def _mergeable_branches(group: FetchGroup, other: FetchGroup) -> bool:
    """Merged, one fetch needs every @requires input of both groups of every object
    of both. Those inputs were fetched under each jump's type conditions (``... on
    Book { product { shippingEstimate } }`` fetches price and weight for Books' products
    only), and an object lacking one is left out of the fetch with everything asked of
    it: merging with a jump outside those conditions (``product { stockCount }``) would
    lose the other group's fields. Apollo's planner merges them anyway."""
    return other.required <= _available_to(group, other) and (
        group.required <= _available_to(other, group)
    )


def _absorb(graph: FetchGraph, into: FetchGroup, other: FetchGroup) -> None:
    assert into.inputs is not None and other.inputs is not None
    into.available = _available_to(into, other) & _available_to(other, into)
    into.required = into.required | other.required
    into.branches = into.branches | other.branches
    into.inputs.merge(other.inputs)
    into.selection.merge(other.selection)
    for rewrite in other.input_rewrites:
        if rewrite not in into.input_rewrites:
            into.input_rewrites.append(rewrite)
    for child in graph.children_of(other):
        child.parents.remove(other)
        child.depends_on(into)
    graph.groups.remove(other)


def _reduce(graph: FetchGraph) -> None:
    """Transitive reduction: drop a dependency another dependency already implies."""

    def ancestors(group: FetchGroup) -> set[int]:
        seen: set[int] = set()
        stack = list(group.parents)
        while stack:
            current = stack.pop()
            if current.id in seen:
                continue
            seen.add(current.id)
            stack.extend(current.parents)
        return seen

    for group in graph.groups:
        if len(group.parents) < 2:
            continue
        group.parents = [
            parent
            for parent in group.parents
            if not any(
                parent.id in ancestors(other)
                for other in group.parents
                if other is not parent
            )
        ]
