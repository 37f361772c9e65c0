"""`python -m subgraphs.inventory [--host H] [--port P]`: serve the inventory subgraph alone."""

from subgraphs import SUBGRAPHS
from subgraphs._serve import main
from subgraphs.inventory.schema import schema

raise SystemExit(main("inventory", schema, SUBGRAPHS["inventory"]))
