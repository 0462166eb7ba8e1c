"""Commands that send: deliver the outbox, the digest, reminders, and a Slack test post."""

from __future__ import annotations

import argparse
import sys

from rulewatch.cli.base import EXIT_OK, EXIT_SOURCE_FAILED, Command, iso_day, open_app, report_delivery
from rulewatch.core.errors import UsageError


class Deliver(Command):
    """Send pending alerts now."""

    name = "deliver"
    help = "send pending alerts now"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--resend", nargs="+", type=int, metavar="ID",
                            help="send these alerts again (to every sink)")

    def run(self, args: argparse.Namespace) -> int:
        from rulewatch.services.sending import deliver

        with open_app() as app:
            report = deliver(app, args.resend or ())
            if args.resend:
                print(f"alert(s) #{', #'.join(map(str, args.resend))} queued to be sent again")
            # Counted in the outbox: a channel that stopped leaves more pending than the alerts tried.
            pending = app.store.outbox.pending_count()
        waiting = f" ({len(report.waiting)} wait for the first message of their thread, still being sent)" \
            if report.waiting else ""
        print(f"{len(report.delivered)} alert(s) delivered, {pending} left pending{waiting}")
        return EXIT_OK if report_delivery(report) else EXIT_SOURCE_FAILED


class Digest(Command):
    """Post today's digest per channel, once a day."""

    name = "digest"
    help = "post today's digest (changes, sources in error, recoveries) per channel"

    def run(self, args: argparse.Namespace) -> int:
        from rulewatch.services.sending import digest, not_posted

        with open_app() as app:
            results = digest(app)
        for channel, outcome in results.items():
            print(f"digest for {channel}: {outcome}")
        return EXIT_SOURCE_FAILED if not_posted(results) else EXIT_OK


class Remind(Command):
    """Post today's deadline reminders (the `reminders` deployment runs this daily)."""

    name = "remind"
    help = "post today's deadline reminders (7 days and 1 day before), each once"

    def declare(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--today", metavar="YYYY-MM-DD", type=iso_day,
                            help="the day to remind as of (default: today)")

    def run(self, args: argparse.Namespace) -> int:
        from rulewatch.services.sending import remind

        with open_app() as app:
            sent = remind(app, args.today)
        print(f"{sent.due} reminder(s) due, {sent.added} new; {len(sent.delivery.delivered)} alert(s) delivered")
        return EXIT_OK if report_delivery(sent.delivery) else EXIT_SOURCE_FAILED


class SlackTest(Command):
    """Check the token, resolve the channel and post a sample alert in the real format."""

    name = "slack-test"
    help = "check the Slack token and channel, and post a sample alert"

    def run(self, args: argparse.Namespace) -> int:
        """Check the token, resolve the channel and post a sample alert in the real format."""
        from rulewatch.alerts.slack import SlackSink
        from rulewatch.core.errors import DeliveryError
        from rulewatch.services.sending import sample_alert

        with open_app() as app:
            slack = [s for s in app.sinks if isinstance(s, SlackSink)]
            if not slack:
                raise UsageError("no Slack bot is configured: set SLACK_BOT_TOKEN and SLACK_CHANNEL (README, Slack)")
            sink = slack[0]
            sample = sample_alert(app)
            try:
                who = sink.check_auth()
                print(f"token: ok, {who}")
                channel = sink.default_channel
                print(f"channel: {sink.configured_channel} is {channel}")
                delivered = sink.send(sample, None, False)
            except DeliveryError as exc:
                print(f"slack-test failed: {exc}", file=sys.stderr)
                return EXIT_SOURCE_FAILED
        print(f"posted: a sample alert in {delivered.channel} (message {delivered.ts})")
        return EXIT_OK
