"""`rulewatch web`: the team's workspace, server-rendered (Starlette, Jinja2), on the use cases. Every
page needs a signed-in person; every POST needs the form's CSRF token; a viewer changes nothing.
Scraped text is escaped by the templates, links from pages are shown only for http(s), and the
Content-Security-Policy allows no script at all: every page works without JavaScript."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from rulewatch.alerts.calendar import to_ics
from rulewatch.alerts.message import alert_message
from rulewatch.app import App
from rulewatch.core.env import Env, flag, number
from rulewatch.core.errors import SettingsError, StateError, UsageError
from rulewatch.schedules import DEFAULT_PREFECT_YAML
from rulewatch.services.triage import STATES, Asked, audit, audit_csv, decide
from rulewatch.services.users import (
    MAX_DELAY,
    ROLES,
    SLOW_STEP,
    AccountError,
    add_user,
    log_in,
    may,
    remove_user,
    set_role,
    users,
)
from rulewatch.services.workspace import Calendar, InboxFilter, alert_view, inbox, rule_dossier, sources_health
from rulewatch.settings import DEFAULT_SOURCES
from rulewatch.web.access import (
    SESSION_STAMP,
    SESSION_USER,
    HeaderAuth,
    Person,
    csrf_ok,
    csrf_token,
    feed_person,
    feed_token,
    session_secret,
    signed_in,
    stamp,
)
from rulewatch.web.i18n import LANGUAGES, pick, translate

SESSION_HOURS = 8
MAX_FORM_BYTES = 64 * 1024
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY", "Cache-Control": "no-store"}
Handler = Callable[[Request], Awaitable[Response]]


log = logging.getLogger("rulewatch.web")
UNWRITABLE = ("rulewatch cannot write to its database now, so nothing was recorded. An administrator finds why "
              "in this server's log (after an upgrade: restart the workspace on the new release).")


async def _unwritable(request: Request, exc: Exception) -> Response:
    """A write the database refused (a newer release upgraded it, a full disk, a lost server): 503 and a
    plain answer; the details, which name the database, stay in the log."""
    log.error("%s %s: %s", request.method, request.url.path, exc)
    return PlainTextResponse(UNWRITABLE, status_code=503)


class SecurityHeaders:
    """Every answer carries the CSP and its companions."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)  # type: ignore[arg-type]


def http_url(url: str) -> str:
    """A link taken from a page, only when it is http(s): never javascript:, data: or the like."""
    return url if urlsplit(url.strip()).scheme.lower() in ("http", "https") else ""


class Workspace:
    """The pages, over one App (its store, settings and clock)."""

    def __init__(self, app: App, env: Env) -> None:
        self.app = app
        self.store = app.store
        self.calendar = Calendar(app.store)
        self.sources_file = env.get("RULEWATCH_SOURCES", DEFAULT_SOURCES)
        self.prefect_yaml = DEFAULT_PREFECT_YAML
        mode = env.get("RULEWATCH_WEB_AUTH", "password").strip().lower() or "password"
        if mode not in ("password", "header"):
            raise SettingsError(f"RULEWATCH_WEB_AUTH={mode!r}: use password (accounts of `rulewatch users`) or header")
        self.header = HeaderAuth.from_env(env) if mode == "header" else None
        self.slack_url = env.get("RULEWATCH_SLACK_WORKSPACE_URL", "").strip().rstrip("/")
        self.secret = session_secret(env, app.settings.home)
        self.secure = flag(env, "RULEWATCH_WEB_HTTPS", False)
        self.login_step = number(env, "RULEWATCH_WEB_LOGIN_DELAY", SLOW_STEP, maximum=MAX_DELAY)
        self.templates = Environment(loader=PackageLoader("rulewatch.web", "templates"),
                                     autoescape=select_autoescape(default=True, default_for_string=True))
        self.templates.filters["http_url"] = http_url

    # ---- plumbing ------------------------------------------------------------------------------

    def asgi(self) -> Starlette:
        def page(handler: Handler, needs: str = "viewer") -> Handler:
            async def guarded(request: Request) -> Response:
                person = await run_in_threadpool(signed_in, request, self.store, self.header)
                if person is None:
                    if request.url.path.endswith((".csv", ".ics")):
                        return PlainTextResponse("sign in first", status_code=401)
                    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
                if not may(person.role, needs):
                    return self._error(request, person, 403, "You may read, not change: ask an admin for the "
                                                             "triager role.")
                request.state.person = person
                if request.method == "POST":
                    form = await self._form(request)
                    if form is None or not csrf_ok(request, form.get("csrf")):
                        return self._error(request, person, 403, "This form has expired: reload the page.")
                    request.state.form = form
                return await handler(request)
            return guarded

        routes = [
            Route("/login", self.login_page, methods=["GET"]), Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
            Route("/", page(self.inbox_page)), Route("/alerts/{alert_id:int}", page(self.alert_page)),
            Route("/alerts/{alert_id:int}/triage", page(self.triage, "triager"), methods=["POST"]),
            Route("/rules/{rule_id:int}", page(self.rule_page)),
            Route("/calendar", page(self.calendar_page)), Route("/calendar.ics", self.calendar_ics),
            Route("/search", page(self.search_page)), Route("/sources", page(self.sources_page)),
            Route("/audit", page(self.audit_page)), Route("/audit.csv", page(self.audit_download)),
            Route("/users", page(self.users_page, "admin")),
            Route("/users", page(self.users_change, "admin"), methods=["POST"]),
            Route("/healthz", self.health),
            Mount("/static", StaticFiles(packages=[("rulewatch.web", "static")]), name="static"),
        ]
        middleware = [Middleware(SecurityHeaders),
                      Middleware(SessionMiddleware, secret_key=self.secret, session_cookie="rulewatch_session",
                                 max_age=SESSION_HOURS * 3600, same_site="lax", https_only=self.secure)]
        return Starlette(routes=routes, middleware=middleware, exception_handlers={StateError: _unwritable})

    async def _form(self, request: Request) -> dict[str, str] | None:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
            return None
        form = await request.form(max_files=0, max_fields=50)
        return {k: v for k, v in form.items() if isinstance(v, str)}

    def _lang(self, request: Request) -> str:
        return pick(request.headers.get("accept-language", ""), request.query_params.get("lang")
                    or request.cookies.get("rulewatch_lang", ""))

    def _render(self, request: Request, name: str, person: Person | None, status: int = 200,
                **context: Any) -> HTMLResponse:
        lang = self._lang(request)
        body = self.templates.get_template(name).render(
            t=lambda text: translate(text, lang), lang=lang, languages=LANGUAGES, person=person,
            csrf=csrf_token(request), path=request.url.path, query=str(request.url.query), **context)
        response = HTMLResponse(body, status_code=status)
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie("rulewatch_lang", lang, max_age=365 * 86400, httponly=True, samesite="lax",
                                secure=self.secure)
        return response

    def _error(self, request: Request, person: Person | None, status: int, message: str) -> HTMLResponse:
        return self._render(request, "error.html", person, status, message=message, code=status)

    def _today(self) -> date:
        return self.app.settings.today()

    # ---- signing in ------------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def login_page(self, request: Request) -> Response:
        return self._render(request, "login.html", None, header_mode=self.header is not None,
                            next=_local(request.query_params.get("next", "/")))

    async def login(self, request: Request) -> Response:
        form = await self._form(request)
        if self.header is not None or form is None or not csrf_ok(request, form.get("csrf")):
            return self._render(request, "login.html", None, 403, header_mode=self.header is not None,
                                error="This form has expired: reload the page.", next="/")
        address = request.client.host if request.client else ""
        result = await run_in_threadpool(log_in, self.store, form.get("username", "")[:200],
                                         form.get("password", ""), address, None, self.login_step)
        if result.account is None:
            await asyncio.sleep(result.delay)  # guessing gets slower, and then stops for a while
            error = "Too many failed logins: try again later." if result.locked else "Wrong user name or password."
            return self._render(request, "login.html", None, 429 if result.locked else 401, error=error,
                                header_mode=False, next=_local(form.get("next", "/")))
        request.session.clear()  # a new session on every login: nothing carried over from before it
        request.session[SESSION_USER] = result.account.name
        request.session[SESSION_STAMP] = stamp(result.account.password_hash)
        return RedirectResponse(_local(form.get("next", "/")), status_code=303)

    async def logout(self, request: Request) -> Response:
        form = await self._form(request)
        if form is not None and csrf_ok(request, form.get("csrf")):
            request.session.clear()
        return RedirectResponse("/login", status_code=303)

    # ---- pages ----------------------------------------------------------------------------------

    async def inbox_page(self, request: Request) -> Response:
        q = request.query_params
        page = q.get("page", "0")
        wanted = InboxFilter(q.get("severity", ""), q.get("state", ""), q.get("owner", ""), q.get("topic", ""),
                             q.get("source", ""), q.get("since", "")[:10], q.get("q", "")[:200],
                             int(page) if page.isdigit() and len(page) < 6 else 0)
        found = await run_in_threadpool(inbox, self.store, wanted, self._today())
        kept = [(k, v) for k, v in q.multi_items() if k not in ("page", "lang")]
        prev_url = "?" + urlencode([*kept, ("page", wanted.page - 1)]) if wanted.page > 0 else ""
        next_url = "?" + urlencode([*kept, ("page", wanted.page + 1)]) if found.more else ""
        return self._render(request, "inbox.html", request.state.person, found=found, wanted=wanted, states=STATES,
                            severities=("high", "medium", "low"), prev_url=prev_url, next_url=next_url)

    async def alert_page(self, request: Request, error: str = "", status: int = 200) -> Response:
        view = await run_in_threadpool(alert_view, self.store, int(request.path_params["alert_id"]), self._today())
        if view is None:
            return self._error(request, request.state.person, 404, "There is no such alert.")
        return self._render(request, "alert.html", request.state.person, status, view=view, error=error,
                            slack_url=self.slack_url, can_triage=may(request.state.person.role, "triager"),
                            today=self._today().isoformat())

    async def triage(self, request: Request) -> Response:
        form, person = request.state.form, request.state.person
        alert_id = int(request.path_params["alert_id"])
        try:
            until = date.fromisoformat(form["until"]) if form.get("until") else None
            asked = Asked(alert_id, form.get("state", ""), person.name, "web", owner=form.get("owner", ""),
                          reason=form.get("reason", ""), note=form.get("note", ""), until=until)
            await run_in_threadpool(decide, self.store, asked, self._today())
        except (UsageError, ValueError) as exc:
            return await self.alert_page(request, error=str(exc), status=400)
        return RedirectResponse(f"/alerts/{alert_id}#triage", status_code=303)

    async def rule_page(self, request: Request) -> Response:
        rule_id = int(request.path_params["rule_id"])
        found = await run_in_threadpool(rule_dossier, self.store, rule_id)
        if found is None:
            return self._error(request, request.state.person, 404, "There is no such rule.")
        row, life, alerts = found
        events = await run_in_threadpool(self.store.triage.events, "", rule_id)
        return self._render(request, "rule.html", request.state.person, row=row, life=life,
                            versions=[(a, alert_message(a)) for a in alerts], events=events)

    async def calendar_page(self, request: Request) -> Response:
        coming = await run_in_threadpool(self.calendar.upcoming, self._today())
        person = request.state.person
        account = None if self.header is not None else await run_in_threadpool(self.store.users.get, person.name)
        feed = (f"/calendar.ics?{urlencode({'token': feed_token(self.secret, account.name, account.password_hash)})}"
                if account is not None else "/calendar.ics")
        return self._render(request, "calendar.html", person, deadlines=coming, today=self._today(), feed=feed,
                            personal=account is not None)

    async def calendar_ics(self, request: Request) -> Response:
        """The deadlines as iCalendar: for a signed-in person, or for a calendar app holding a person's
        feed token (?token=, from the calendar page; a new password revokes it)."""
        token = request.query_params.get("token", "")
        person = await run_in_threadpool(signed_in, request, self.store, self.header)
        if person is None and token and self.header is None:
            person = await run_in_threadpool(feed_person, token, self.store, self.secret)
        if person is None:
            return PlainTextResponse("sign in first, or use the calendar page's subscription link", status_code=401)
        coming = await run_in_threadpool(self.calendar.upcoming, self._today())
        return Response(to_ics(coming, datetime.now(UTC)), media_type="text/calendar; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="rulewatch-deadlines.ics"'})

    async def search_page(self, request: Request) -> Response:
        query = request.query_params.get("q", "").strip()[:200]
        hits = await run_in_threadpool(self.store.history.search, query, limit=50) if query else []
        return self._render(request, "search.html", request.state.person, query_text=query, hits=hits)

    async def sources_page(self, request: Request) -> Response:
        found = await run_in_threadpool(sources_health, self.store, self.sources_file, self.prefect_yaml)
        return self._render(request, "sources.html", request.state.person, sources=found)

    async def users_page(self, request: Request, error: str = "", status: int = 200) -> Response:
        accounts = await run_in_threadpool(users, self.store)
        return self._render(request, "users.html", request.state.person, status, accounts=accounts, roles=ROLES,
                            error=error, header_mode=self.header is not None)

    async def users_change(self, request: Request) -> Response:
        """An admin adds an account, changes a role or removes one (never their own: no lock-out)."""
        form, person = request.state.form, request.state.person
        name, action = form.get("name", "").strip(), form.get("action", "")
        try:
            if name == person.name and action in ("remove", "role"):
                raise AccountError("you cannot remove yourself or change your own role: ask another admin")
            if action == "add":
                await run_in_threadpool(add_user, self.store, name, form.get("role", ""), form.get("password", ""),
                                        f"{person.name} (web)")
            elif action == "role":
                await run_in_threadpool(set_role, self.store, name, form.get("role", ""))
            elif action == "remove":
                await run_in_threadpool(remove_user, self.store, name)
            else:
                raise AccountError(f"{action!r}: add, role or remove")
        except AccountError as exc:
            return await self.users_page(request, str(exc), 400)
        return RedirectResponse("/users", status_code=303)

    async def audit_page(self, request: Request) -> Response:
        events = await run_in_threadpool(audit, self.store)
        return self._render(request, "audit.html", request.state.person, events=list(reversed(events)))

    async def audit_download(self, request: Request) -> Response:
        text = audit_csv(await run_in_threadpool(audit, self.store))
        return Response(text, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="rulewatch-audit.csv"'})


def _local(target: str) -> str:
    """A redirect target on this site only (never //evil.example or https://...)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def create_app(app: App, env: Env) -> Starlette:
    return Workspace(app, env).asgi()

