"""`python -m subgraphs.orders [--host H] [--port P]`: serve the orders subgraph alone."""

from subgraphs import SUBGRAPHS
from subgraphs._serve import main
from subgraphs.orders.schema import schema

raise SystemExit(main("orders", schema, SUBGRAPHS["orders"]))
