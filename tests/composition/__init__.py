"""Composition tests: the case corpus, and agreement with Apollo's composer."""
