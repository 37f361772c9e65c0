"""`python -m subgraphs.users [--host H] [--port P]`: serve the users subgraph alone."""

from subgraphs import SUBGRAPHS
from subgraphs._serve import main
from subgraphs.users.schema import schema

raise SystemExit(main("users", schema, SUBGRAPHS["users"]))
