"""The use cases, written once. Every front end (the CLI, the Prefect flows, the demo, and later the
Slack app and the web workspace) calls these and only these; none of them wires the pipeline itself.

- `selection`: which sources a run checks (by name, group, partition), refusing names it does not have;
- `checking`: one cycle (check, record, deliver) and what its result means (problems, exit code);
- `sending`: deliver the outbox, post reminders and digests;
- `sourcecheck`: read each source once and judge what it gave (catalog health).
"""
