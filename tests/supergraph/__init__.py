"""Tests of planner/supergraph: loading, the join model, the API schema, extraction."""
