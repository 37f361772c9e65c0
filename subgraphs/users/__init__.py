"""The users example subgraph; see `schema.py`."""
