"""The reviews example subgraph; see `schema.py`."""
