"""Planning benchmark: our query planner against @apollo/query-planner (see README.md)."""
