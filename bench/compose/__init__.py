"""Composition benchmark: our compose() against Apollo's composeServices (see README.md)."""
