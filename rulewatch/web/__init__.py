"""`rulewatch web`: the team's web workspace behind a login (rulewatch.web.app), a front end on the use
cases; the CLI reaches it as the `web` plugin."""
