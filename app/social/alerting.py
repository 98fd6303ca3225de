"""Posts with high threat or hate scores become alerts, with the post as evidence."""

from __future__ import annotations

from app.model import Alert, Certainty, EvidenceLink, Severity, Urgency
from app.social.messages import PostAnalysis
from app.terminology import Terminology
from i18n import gettext

THREAT_ALERT = 0.6
HATE_ALERT = 0.6
SENDER = "social-watch@watchfloor"
SOURCE_TOOL = "social-watch"


def alerts_for(item: PostAnalysis, terms: Terminology) -> list[Alert]:
    analysis = item.analysis
    found = []
    if float(analysis.get("threat_score", 0.0)) >= THREAT_ALERT:
        found.append(_alert(item, "threatening_post", float(analysis["threat_score"]), terms))
    if float(analysis.get("hate_score", 0.0)) >= HATE_ALERT:
        found.append(_alert(item, "hate_speech", float(analysis["hate_score"]), terms))
    return found


def _alert(item: PostAnalysis, event_type: str, score: float, terms: Terminology) -> Alert:
    post = item.post
    event = terms.event_type(event_type)
    headline = gettext("{event} on {platform}").format(event=event.name, platform=post.platform)
    return Alert(
        identifier=f"{SOURCE_TOOL}:{post.identifier}:{event_type}",
        sender=SENDER,
        source_tool=SOURCE_TOOL,
        sent=post.time,
        event_type=event_type,
        category=event.category,
        headline=headline,
        description=_explain(item),
        status=post.status,
        urgency=Urgency.EXPECTED,
        severity=Severity.SEVERE if score >= 0.85 else Severity.MODERATE,
        certainty=Certainty.POSSIBLE if score < 0.85 else Certainty.LIKELY,
        point=post.point,
        confidence=round(min(max(score, 0.0), 1.0), 3),
        evidence=(EvidenceLink("post", f"post:{post.identifier}", post.text[:200]),),
    )


def _explain(item: PostAnalysis) -> str:
    terms = [
        str(match.get("text", ""))
        for match in item.analysis.get("explanation", [])
        if match.get("kind") == "term" and match.get("counted", True)
    ]
    words = ", ".join(dict.fromkeys(t for t in terms if t))
    return gettext("Post by {author} ({language}). Matched: {terms}.").format(
        author=item.post.author,
        language=item.analysis.get("language") or "?",
        terms=words or gettext("nothing"),
    )
