"""`rulewatch slack-app`: the front end that receives triage clicks from Slack (slack_bolt), over HTTP
(Slack's Request URL, every request's signature checked) or Socket Mode. It calls the triage use case
(rulewatch.services.slack_triage) and answers Slack; the CLI reaches it as the `slack-app` plugin."""
