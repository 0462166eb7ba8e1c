"""Fetching and extraction: the only code in rulewatch that talks to web servers."""
