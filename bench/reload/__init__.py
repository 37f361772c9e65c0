"""Reload benchmark: a 100-subgraph supergraph from new text to serving (see README.md)."""
