"""`python -m subgraphs.reviews [--host H] [--port P]`: serve the reviews subgraph alone."""

from subgraphs import SUBGRAPHS
from subgraphs._serve import main
from subgraphs.reviews.live import stats
from subgraphs.reviews.schema import schema

raise SystemExit(main("reviews", schema, SUBGRAPHS["reviews"], stats=stats))
