"""The orders example subgraph; see `schema.py`."""
