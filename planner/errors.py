"""Catalogue of the planner package's error codes.

Codes reuse Apollo Federation's strings (https://www.apollographql.com/docs/graphos/reference/federation/errors)
so that a team moving between Apollo's tools and ours reads the same names. Add a code here,
with its one-line description, before raising or returning it anywhere.
"""

from __future__ import annotations

__all__ = [
    "COMPOSITION_ERRORS",
    "COMPOSITION_HINTS",
    "PLANNING_ERRORS",
    "SUPERGRAPH_ERRORS",
    "describe",
]

COMPOSITION_ERRORS: dict[str, str] = {
    "INVALID_GRAPHQL": "A subgraph schema is not valid GraphQL (syntax or schema-validation error).",
    "INVALID_SUBGRAPH_NAME": "A subgraph name is empty, reserved ('_') or repeated.",
    "NO_QUERIES": "No subgraph defines a query field, so the supergraph has no Query type.",
    "INVALID_LINK_DIRECTIVE_USAGE": "An @link application is malformed (bad url, bad import, unknown feature).",
    "UNKNOWN_FEDERATION_LINK_VERSION": "The federation spec version named by @link is not one we know.",
    "INVALID_LINK_IDENTIFIER": "An @link url does not name a spec identity and version.",
    "DIRECTIVE_DEFINITION_INVALID": "A subgraph redefines a federation directive incompatibly.",
    "KEY_INVALID_FIELDS": "A @key field set does not parse or selects fields that do not exist.",
    "KEY_FIELDS_SELECT_INVALID_TYPE": "A @key field set selects a list, interface or union field.",
    "KEY_FIELDS_HAS_ARGS": "A @key field set selects a field that takes arguments.",
    "KEY_UNSUPPORTED_ON_INTERFACE": "@key on an interface needs federation 2.3 or later.",
    "KEY_DIRECTIVE_IN_FIELDS_ARG": "A @key field set carries directive applications.",
    "REQUIRES_INVALID_FIELDS": "A @requires field set does not parse or selects unknown fields.",
    "REQUIRES_FIELDS_MISSING_EXTERNAL": "A @requires field set selects a field that is not @external.",
    "REQUIRES_UNSUPPORTED_ON_INTERFACE": "@requires cannot be used on an interface field.",
    "PROVIDES_INVALID_FIELDS": "A @provides field set does not parse or selects unknown fields.",
    "PROVIDES_FIELDS_MISSING_EXTERNAL": "A @provides field set selects a field that is not @external.",
    "PROVIDES_ON_NON_OBJECT_FIELD": "@provides is on a field whose type is not an object, interface or union.",
    "PROVIDES_UNSUPPORTED_ON_INTERFACE": "@provides cannot be used on an interface field.",
    "EXTERNAL_UNUSED": "An @external field is used by no @key, @requires or @provides.",
    "EXTERNAL_MISSING_ON_BASE": "A field is @external in every subgraph that declares it.",
    "EXTERNAL_TYPE_MISMATCH": "An @external field's type differs from the type where it is resolved.",
    "EXTERNAL_ON_INTERFACE": "@external cannot be used on an interface field.",
    "INVALID_FIELD_SHARING": "A non-@shareable field is resolved by more than one subgraph.",
    "INVALID_SHAREABLE_USAGE": "@shareable is on an interface field or repeated on a type extension.",
    "FIELD_TYPE_MISMATCH": "Subgraphs declare a field with types that cannot be merged.",
    "TYPE_KIND_MISMATCH": "Subgraphs declare one type name with different kinds.",
    "FIELD_ARGUMENT_TYPE_MISMATCH": "Subgraphs declare a field argument with incompatible types.",
    "FIELD_ARGUMENT_DEFAULT_MISMATCH": "Subgraphs declare a field argument with different default values.",
    "INPUT_FIELD_DEFAULT_MISMATCH": "Subgraphs declare an input field with different default values.",
    "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH": "A required argument is missing where the field is declared elsewhere.",
    "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH": "A required input field is missing in a subgraph declaring the input type.",
    "EMPTY_MERGED_INPUT_TYPE": "No field of an input type is declared in every subgraph that declares the type.",
    "EMPTY_MERGED_ENUM_TYPE": "An input-only enum has no value common to all subgraphs.",
    "ENUM_VALUE_MISMATCH": "An enum used for input and output has different values across subgraphs.",
    "OVERRIDE_FROM_SELF_ERROR": "@override names the subgraph that declares it.",
    "OVERRIDE_SOURCE_HAS_OVERRIDE": "A field is overridden from a subgraph that itself overrides it.",
    "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE": "An @override field is also @external, @requires'd or @provides'd in the source.",
    "OVERRIDE_ON_INTERFACE": "@override cannot be used on an interface field.",
    "OVERRIDE_LABEL_INVALID": "An @override label is neither 'percent(N)' nor a valid identifier.",
    "INTERFACE_OBJECT_USAGE_ERROR": "@interfaceObject is used where no subgraph defines the entity interface.",
    "INTERFACE_KEY_NOT_ON_IMPLEMENTATION": "An implementation lacks a @key that its entity interface declares.",
    "INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE": "A subgraph with an entity interface lacks some of its implementations.",
    "INTERFACE_FIELD_NO_IMPLEM": "An implementation lacks a field that its interface declares after merging.",
    "REFERENCED_INACCESSIBLE": "An accessible element references an @inaccessible type.",
    "IMPLEMENTED_BY_INACCESSIBLE": "An @inaccessible field implements an interface field that is in the API schema.",
    "ONLY_INACCESSIBLE_CHILDREN": "Every field, value or member of a type is @inaccessible.",
    "REQUIRED_INACCESSIBLE": "A required argument or input field is @inaccessible.",
    "DEFAULT_VALUE_USES_INACCESSIBLE": "A default value in the API schema uses an @inaccessible enum value or input field.",
    "DISALLOWED_INACCESSIBLE": "@inaccessible is used on an element that must stay visible (a linked feature's directive).",
    "QUERY_ROOT_TYPE_INACCESSIBLE": "The query root type is marked @inaccessible.",
    "SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES": "A @shareable field's possible runtime types differ across subgraphs with no overlap.",
    "EXTERNAL_ARGUMENT_MISSING": "An @external field lacks an argument that the resolving subgraph declares.",
    "ROOT_QUERY_USED": "A type named Query is not the query root.",
    "ROOT_MUTATION_USED": "A type named Mutation is not the mutation root.",
    "ROOT_SUBSCRIPTION_USED": "A type named Subscription is not the subscription root.",
    "SATISFIABILITY_ERROR": "Some supergraph field cannot be reached by any query plan.",
    "UNSUPPORTED_FEATURE": "The schema uses a federation feature this composer does not support.",
    "AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE": "@authenticated, @requiresScopes or @policy is on an interface, interface field or @interfaceObject.",
    "MISSING_TRANSITIVE_AUTH_REQUIREMENTS": "A @requires field lacks authorization requirements of the data its field set reads.",
}

COMPOSITION_HINTS: dict[str, str] = {
    "INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE": "A field's type differs across subgraphs but merges (nullability, subtyping).",
    "INCONSISTENT_BUT_COMPATIBLE_ARGUMENT_TYPE": "An argument's type differs across subgraphs but merges (nullability).",
    "OVERRIDE_MIGRATION_IN_PROGRESS": "A field is being migrated with progressive @override (a label).",
    "INCONSISTENT_ARGUMENT_PRESENCE": "An optional argument is missing in some subgraphs and is dropped.",
    "INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM": "An input enum value is missing in some subgraphs and is dropped.",
    "INCONSISTENT_ENUM_VALUE_FOR_OUTPUT_ENUM": "An output enum value is missing in some subgraphs.",
    "INCONSISTENT_INPUT_OBJECT_FIELD": "An optional input field is missing in some subgraphs and is dropped.",
    "INCONSISTENT_UNION_MEMBER": "A union member is missing in some subgraphs.",
    "INCONSISTENT_DESCRIPTION": "A description differs across subgraphs; one was kept.",
    "OVERRIDDEN_FIELD_CAN_BE_REMOVED": "An overridden field is no longer used by its source subgraph.",
    "FROM_SUBGRAPH_DOES_NOT_EXIST": "@override names a subgraph that does not exist.",
    "UNUSED_ENUM_TYPE": "An enum is used by no field or argument; merged as an output enum.",
    "INCONSISTENT_DEFAULT_VALUE_PRESENCE": "An argument or input field has a default value in some subgraphs only; none is kept.",
    "INCONSISTENT_ENTITY": "An object type has a @key in some subgraphs but not in others.",
    "INCONSISTENT_OBJECT_VALUE_TYPE_FIELD": "A field of a non-entity object type is missing in some subgraphs defining the type.",
    "INCONSISTENT_INTERFACE_VALUE_TYPE_FIELD": "A field of an interface without @key is missing in some subgraphs defining it.",
    "INCONSISTENT_EXECUTABLE_DIRECTIVE_PRESENCE": "An executable directive is missing in some subgraphs and is dropped.",
    "NO_EXECUTABLE_DIRECTIVE_INTERSECTION": "An executable directive has no location common to all subgraphs and is dropped.",
    "INCONSISTENT_EXECUTABLE_DIRECTIVE_REPEATABLE": "An executable directive is repeatable in some subgraphs only; it is not repeatable.",
    "INCONSISTENT_EXECUTABLE_DIRECTIVE_LOCATIONS": "An executable directive's locations differ; their intersection is kept.",
    "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED": "@override names a subgraph that no longer resolves the field.",
    "INCONSISTENT_NON_REPEATABLE_DIRECTIVE_ARGUMENTS": "A non-repeatable directive is applied with different arguments; the most common is kept.",
    "MERGED_NON_REPEATABLE_DIRECTIVE_ARGUMENTS": "@requiresScopes or @policy is applied with different arguments; they are merged.",
}

SUPERGRAPH_ERRORS: dict[str, str] = {
    "INVALID_SUPERGRAPH": "The supergraph SDL does not parse or is not a valid join-spec supergraph.",
    "UNSUPPORTED_LINKED_FEATURE": "The supergraph links a feature for EXECUTION or SECURITY that we cannot honour.",
    "UNSUPPORTED_JOIN_VERSION": "The supergraph's join spec version is outside v0.2 to v0.5.",
    "REFERENCED_INACCESSIBLE": "An accessible element of the supergraph references an @inaccessible type.",
}


PLANNING_ERRORS: dict[str, str] = {
    "QUERY_PLANNING_FAILED": "The supergraph cannot serve the operation, or planning hit its limits without a plan.",
    "GRAPHQL_UNKNOWN_OPERATION_NAME": "No operation of that name, or several operations and no name given.",
}


def describe(code: str) -> str:
    """One-line description of any code in the catalogue ('' if unknown)."""
    for table in (
        COMPOSITION_ERRORS,
        COMPOSITION_HINTS,
        SUPERGRAPH_ERRORS,
        PLANNING_ERRORS,
    ):
        if code in table:
            return table[code]
    return ""
