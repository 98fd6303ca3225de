"""Exports are redacted by default: what leaves the console names no one it need not name.

An export is read by people outside the control room (a debrief, a partner organisation, a
court file). Redacting replaces, in every record an export carries:

- post authors, reply-to authors and ``@mentions`` — pseudonyms or raw handles — by "author 1",
  "author 2"… numbered in order of first appearance, so the same author keeps one number
  within one export (who answered whom still reads) and numbers mean nothing across exports;
- e-mail addresses and phone numbers in free text (alert headlines and descriptions, notes,
  incident log entries, tasks, bookmarks);
- links of posts (a link names its author's account).

Operators' own user names stay: an after-action report exists to say who did what.

What else leaves the console, and why it needs no redaction here (see the report text):
diagrams' PNG/CSV exports hold counts per category, hour, place and tool only; the YOLO
dataset export (``export-dataset``) blurs every picture's faces as it writes it; pictures kept
with detections are blurred when stored, whatever a live unmask shows.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from app.model import Alert, AlertAction, Bookmark, Incident, IncidentEntry, IncidentTask, Post
from app.report.data import ReportData
from app.social.privacy import MENTION, normalise_handle
from i18n import gettext as _

# A pseudonym as the pseudonymiser writes it, with or without the "@" of a mention.
PSEUDONYM_TEXT = re.compile(r"(?<![\w-])@?(p[1-9][0-9]*-[0-9a-f]{12})(?![\w-])")
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Phone numbers: international (+47 22 33 44 55, 0047-22334455) or in groups (555 123 4567,
# (020) 7946 0018); dates, times, decimals and coordinates are not (see _is_phone).
PHONE = re.compile(
    r"(?<![\w.+])(?:(?:\+|00)\d{1,3}[\s-]?)?(?:\(\d{1,4}\)[\s-]?)?"
    r"\d{2,4}(?:[\s-]\d{2,4}){1,5}(?![\w.:/-])"
    r"|(?<![\w.+])(?:\+|00)\d{1,3}[\s-]?\d{6,12}(?![\w.])"
    r"|(?<![\w.+])\+\d{8,15}(?![\w.])"
)
# Marks an author already replaced in a text, until the labels go in at the end (a label must
# not be mistaken for a mention, an e-mail address or a phone number).
_MARK = re.compile("\ue000(\\d+)\ue001")
DATE = re.compile(r"^\d{4}[\s-]\d{1,2}[\s-]\d{1,2}$|^\d{1,2}[\s-]\d{1,2}[\s-]\d{4}$")


def _is_phone(text: str) -> bool:
    digits = sum(ch.isdigit() for ch in text)
    international = text.startswith(("+", "00"))
    groups = len(re.split(r"[\s()-]+", text.strip("()")))
    plausible = international or digits >= 9 or groups >= 3
    return 8 <= digits <= 15 and not DATE.match(text) and plausible


class Redactor:
    """The redaction of one export: authors keep their number throughout it."""

    def __init__(self) -> None:
        self._authors: dict[str, int] = {}

    def author(self, name: str | None) -> str | None:
        if not name:
            return name
        return self._label(self._number(name))

    def _number(self, name: str) -> int:
        key = normalise_handle(name)
        if key not in self._authors:
            self._authors[key] = len(self._authors) + 1
        return self._authors[key]

    @staticmethod
    def _label(number: int) -> str:
        return _("author {number}").format(number=number)

    def text(self, text: str) -> str:
        if not text:
            return text

        def marked(match: re.Match[str]) -> str:
            at = "@" if match[0].startswith("@") else ""
            return f"{at}\ue000{self._number(match[1])}\ue001"

        text = PSEUDONYM_TEXT.sub(marked, text)
        text = MENTION.sub(marked, text)
        text = EMAIL.sub(_("[e-mail]"), text)
        text = PHONE.sub(lambda m: _("[phone]") if _is_phone(m[0]) else m[0], text)
        return _MARK.sub(lambda m: self._label(int(m[1])), text)

    # --- records -------------------------------------------------------------------------

    def post(self, post: Post) -> Post:
        return dataclasses.replace(
            post,
            author=self.author(post.author) or "",
            reply_to=self.author(post.reply_to),
            text=self.text(post.text),
            url=None,
        )

    def alert(self, alert: Alert) -> Alert:
        return dataclasses.replace(
            alert,
            headline=self.text(alert.headline),
            description=self.text(alert.description),
            state_reason=self.text(alert.state_reason),
        )

    def action(self, action: AlertAction) -> AlertAction:
        return dataclasses.replace(
            action,
            reason=self.text(action.reason),
            details=tuple((k, self.text(v)) for k, v in action.details),
        )

    def incident(self, incident: Incident) -> Incident:
        return dataclasses.replace(
            incident, title=self.text(incident.title), description=self.text(incident.description)
        )

    def entry(self, entry: IncidentEntry) -> IncidentEntry:
        return dataclasses.replace(entry, text=self.text(entry.text))

    def task(self, task: IncidentTask) -> IncidentTask:
        return dataclasses.replace(task, title=self.text(task.title))

    def bookmark(self, bookmark: Bookmark) -> Bookmark:
        return dataclasses.replace(bookmark, note=self.text(bookmark.note))


def redact_report(data: ReportData, redactor: Redactor | None = None) -> ReportData:
    """``data`` with personal data replaced (in the language active now: call it inside the
    report's language). Posts go first so that authors are numbered in the order the report
    meets them in the social-media record."""
    r = redactor or Redactor()
    for post in sorted(data.posts, key=lambda p: p.time):
        r.author(post.author)
        r.author(post.reply_to)
    posts = tuple(r.post(p) for p in data.posts)
    changes: dict[str, Any] = {
        "posts": posts,
        "alerts": tuple(r.alert(a) for a in data.alerts),
        "actions": tuple(r.action(a) for a in data.actions),
        "incidents": tuple(r.incident(i) for i in data.incidents),
        "entries": tuple(r.entry(e) for e in data.entries),
        "tasks": tuple(r.task(t) for t in data.tasks),
        "bookmarks": tuple(r.bookmark(b) for b in data.bookmarks),
        "title": r.text(data.title),
        "description": r.text(data.description),
    }
    return dataclasses.replace(data, **changes)
