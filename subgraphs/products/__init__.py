"""The products example subgraph; see `schema.py`."""
