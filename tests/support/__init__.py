"""Helpers shared by the test suites: the composition corpus, Apollo's oracle, comparers."""
