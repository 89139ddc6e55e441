"""Email to members: invitations and reminders, written in their language and sent over SMTP.

No database here (survey/core/mailings.py decides who gets what, and its job sends it).
Messages are plain text with a simple HTML part saying the same: the personal link written out
in full, the same in both parts, no images, no tracking pixels, no rewritten links
(docs/decisions/0023-email-invitations.md). Nothing here logs an address.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from flask import current_app
from flask_babel import force_locale, format_date, gettext

from .models import LONDON, as_utc

CONNECT_TIMEOUT = 30  # seconds a mail server may take to answer
KINDS = ("invitation", "reminder")


class RealClock:
    """The time and a way to wait: one object, so that tests can pass a clock of their own."""

    def time(self) -> float:
        """Return the time now, in seconds since the epoch."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        """Wait this many seconds."""
        time.sleep(seconds)


clock = RealClock()  # the rate limit, the job's turn and its lease all read this one


def configured() -> bool:
    """Return whether the app can send email: a mail server and a sender are set."""
    return bool(current_app.config.get("SMTP_HOST") and current_app.config.get("MAIL_FROM"))


# --- writing the message -------------------------------------------------------------------------


@dataclass(frozen=True)
class Wording:
    """What one email says, in one language: its subject and paragraphs, the link after the first."""

    language: str
    subject: str
    opening: list[str]
    link_label: str
    after: list[str]


def wording(kind: str, language: str, title: str, closes_at: datetime | None) -> Wording:
    """Return what an invitation or a reminder says, in English or Welsh."""
    with force_locale(language):
        closing = []
        if closes_at:
            local = as_utc(closes_at).astimezone(LONDON)
            date = format_date(local.date(), "d MMMM yyyy")  # a date: never shifted to UTC
            closing = [gettext("The survey closes at %(time)s on %(date)s.", time=f"{local:%H:%M}", date=date)]
        privacy = [
            gettext("Your answers are anonymous: they are never linked to your name, your email address or this link."),
            gettext(
                "We hold your email address only to send you this link and reminders, "
                "and delete it when the survey closes."
            ),
        ]
        if kind == "invitation":
            return Wording(
                language,
                gettext("%(title)s: your personal link", title=title),
                [gettext("You are invited to take part in “%(title)s”.", title=title)],
                gettext("Your personal link:"),
                [gettext("It works once, for your answers only: please do not pass it on."), *closing, *privacy],
            )
        return Wording(
            language,
            gettext("Reminder: %(title)s", title=title),
            [
                gettext("There is still time to take part in “%(title)s”.", title=title),
                gettext(
                    "Your personal link has not been used yet. If you have already answered, thank you: "
                    "please ignore this email."
                ),
            ],
            gettext("Your personal link:"),
            [*closing, gettext("Reminders stop once you have answered."), *privacy],
        )


def compose(words: Wording, recipient: str, link: str) -> EmailMessage:
    """Return the email to one member: plain text, and the same as simple HTML."""
    sender = current_app.config["MAIL_FROM"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = words.subject
    message["Date"] = format_datetime(datetime.fromtimestamp(clock.time()).astimezone())
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"  # out-of-office replies are not sent back (RFC 3834)
    environment = current_app.jinja_env  # the templates alone: no request, no context processors
    context = {"words": words, "link": link}
    message.set_content(environment.get_template("email/message.txt").render(context))
    message.add_alternative(environment.get_template("email/message.html").render(context), subtype="html")
    message["Content-Language"] = words.language  # after the parts: setting content clears Content-* headers
    return message


# --- sending -------------------------------------------------------------------------------------


class Refused(Exception):
    """The mail server would not take this one message (its address, most likely); others may go."""


class Unavailable(Exception):
    """The mail server cannot be used now; the message says why, plainly, and names no member."""


class Postman:
    """One connection to the mail server, opened when first needed and reused for a job's messages."""

    def __init__(self) -> None:
        config = current_app.config
        self.host = config["SMTP_HOST"]
        self.use_ssl = bool(config.get("SMTP_SSL"))
        self.starttls = bool(config.get("SMTP_STARTTLS")) and not self.use_ssl
        self.port = config.get("SMTP_PORT") or (465 if self.use_ssl else 587 if self.starttls else 25)
        self.username = config.get("SMTP_USERNAME")
        self.password = config.get("SMTP_PASSWORD")
        self.server: smtplib.SMTP | None = None

    def __enter__(self) -> Postman:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        where = f"{self.host}:{self.port}"
        try:
            if self.use_ssl:
                server = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=CONNECT_TIMEOUT, context=ssl.create_default_context()
                )
            else:
                server = smtplib.SMTP(self.host, self.port, timeout=CONNECT_TIMEOUT)
                if self.starttls:
                    server.starttls(context=ssl.create_default_context())
            if self.username:
                server.login(self.username, self.password or "")
        except smtplib.SMTPAuthenticationError:
            raise Unavailable(f"the mail server at {where} refused SMTP_USERNAME and SMTP_PASSWORD") from None
        except smtplib.SMTPNotSupportedError:
            raise Unavailable(f"the mail server at {where} does not offer STARTTLS or sign-in") from None
        except (OSError, smtplib.SMTPException) as error:
            raise Unavailable(f"the mail server at {where} did not answer ({type(error).__name__})") from None
        return server

    def send(self, message: EmailMessage) -> None:
        """Hand one message to the mail server; raise Refused or Unavailable if it is not taken."""
        for attempt in (1, 2):  # a server may close a connection that stood idle: open it once more
            if self.server is None:
                self.server = self._connect()
            try:
                self.server.send_message(message)
                return
            except smtplib.SMTPRecipientsRefused as error:
                codes = [code for code, _ in error.recipients.values()]
                if all(500 <= code < 600 for code in codes):
                    raise Refused("the mail server refused the address") from None
                raise Unavailable("the mail server asked us to try again later") from None
            except smtplib.SMTPSenderRefused:
                raise Unavailable("the mail server refused MAIL_FROM as the sender") from None
            except smtplib.SMTPResponseException as error:
                if 500 <= error.smtp_code < 600:
                    raise Refused("the mail server refused the message") from None
                self.close()
                raise Unavailable(f"the mail server asked us to try again later ({error.smtp_code})") from None
            except (smtplib.SMTPServerDisconnected, OSError) as error:
                self.close()
                if attempt == 2:
                    raise Unavailable(f"the mail server closed the connection ({type(error).__name__})") from None

    def close(self) -> None:
        """Say goodbye to the mail server, if connected."""
        if self.server is not None:
            try:
                self.server.quit()
            except (OSError, smtplib.SMTPException):
                self.server.close()
            self.server = None


# --- the pace ------------------------------------------------------------------------------------

# Reserve the next sending slot: slots are 60 / MAIL_PER_MINUTE seconds apart, for every worker
# that shares this Redis. Times are whole microseconds, so the arithmetic is exact. Returns when
# the caller may send (it waits until then).
NEXT_SLOT = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local slot = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
redis.call('SET', KEYS[1], string.format('%.0f', slot + interval), 'EX', 3600)
return string.format('%.0f', slot)
"""
MICROSECONDS = 1_000_000


class Limiter:
    """Keep to MAIL_PER_MINUTE: one message every 60 / MAIL_PER_MINUTE seconds, evenly spaced, so
    that no minute holds more. With a Redis connection the pace is shared by every worker."""

    def __init__(self, per_minute: int, connection=None, key: str = "survey:mail:next-slot") -> None:
        self.interval = round(60 * MICROSECONDS / per_minute)
        self.connection = connection
        self.key = key
        self._next = 0

    def wait(self) -> float:
        """Wait for the next slot and return its time."""
        now = round(clock.time() * MICROSECONDS)
        if self.connection is not None:
            slot = int(self.connection.eval(NEXT_SLOT, 1, self.key, now, self.interval))
        else:
            slot = max(self._next, now)
            self._next = slot + self.interval
        if slot > now:
            clock.sleep((slot - now) / MICROSECONDS)
        return slot / MICROSECONDS
