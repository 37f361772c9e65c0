"""The gateway benchmark: our router against Apollo Gateway on the public federation
benchmark's subgraphs and query, one core each, in the same run (issue #7)."""
