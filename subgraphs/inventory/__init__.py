"""The inventory example subgraph; see `schema.py`."""
