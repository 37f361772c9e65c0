"""`python -m subgraphs.products [--host H] [--port P]`: serve the products subgraph alone."""

from subgraphs import SUBGRAPHS
from subgraphs._serve import main
from subgraphs.products.schema import schema

raise SystemExit(main("products", schema, SUBGRAPHS["products"]))
