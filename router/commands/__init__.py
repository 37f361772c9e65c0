"""One module per `router` sub-command."""
