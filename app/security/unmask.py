"""Unmasking: faces on one camera, or the author behind one pseudonym, shown for a stated
purpose, for a limited time, where configured only once a second person approved it.

A request is stored (``unmask_requests``) and goes PENDING → GRANTED / DENIED, and a grant
GRANTED → EXPIRED at its end time or ENDED early. Each step is audited ("unmask.request",
"unmask.approve", "unmask.deny", "unmask.reveal", "unmask.expire", "unmask.end") with the
purpose and target, published as ``UnmaskChanged``, and announced to the other workstations
sharing the database (which call ``reload``). A decision updates the row only at the version
it read, so two approvers at once get one decision and one clear refusal.

What a grant shows is shown only at the workstation where the requester is signed in: the
faces of that camera unblurred, the author's handle published as ``RevealedAuthor``. This
service works that out from the stored state whenever it changes (a decision taken at another
desk, a sign-out, an expiry), so a grant never outlives its request here, and a console
stopped or started blurs every camera whose grant is no longer in force.

One thread does everything: commands and reloads queue up, and the thread waits on a
condition until the next job or the next expiry (no polling).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from app.hub import Hub
from app.model import new_identifier, utc_now
from app.security import identities
from app.security.audit import AuditLog
from app.security.model import (
    AuditEvent,
    DecideUnmask,
    EndUnmask,
    Outcome,
    Permission,
    PermissionRefused,
    Principal,
    RequestUnmask,
    RevealedAuthor,
    SessionChanged,
    UnmaskChanged,
    UnmaskKind,
    UnmaskRequest,
    UnmaskRules,
    UnmaskState,
)
from app.security.permissions import permits
from app.security.sealing import Sealer, SealError
from app.security.unmask_store import UnmaskStore
from app.storage import RecordStore, StorageError
from app.video.messages import SetFaceBlur
from i18n import gettext as _

log = logging.getLogger(__name__)

MIN_PURPOSE = 10
UnmaskCommand = RequestUnmask | DecideUnmask | EndUnmask


class Security(Protocol):
    """What this service needs of the security service (app/security/service.py)."""

    @property
    def principal(self) -> Principal | None: ...

    def verify(self, username: str, password: str) -> Principal: ...


class _RefusedError(Exception):
    """A command refused; the message is translated, for the person who sent it."""


class UnmaskService:
    def __init__(
        self,
        store: RecordStore,
        hub: Hub,
        audit: AuditLog,
        security: Security,
        policy_unmask_rules: UnmaskRules,
        set_face_blur: Callable[[SetFaceBlur], None],
        workstation: str,
        *,
        sealer: Sealer | None = None,
        known_camera: Callable[[str], bool] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.saved = UnmaskStore(store)
        self.hub = hub
        self.audit = audit
        self.security = security
        self.rules = policy_unmask_rules
        self.set_face_blur = set_face_blur
        self.workstation = workstation
        self.sealer = sealer if sealer is not None else Sealer()
        self.known_camera = known_camera
        self.clock = clock
        self._jobs: deque[object] = deque()
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        # In force here: request id -> request (the service thread's own state).
        self._active: dict[str, UnmaskRequest] = {}
        self._granted: dict[str, UnmaskRequest] = {}  # every grant known, for expiry
        self._subscription: Any = None

    # --- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping = False
        # Who is signed in decides what is shown here: every change is looked at.
        self._subscription = self.hub.subscribe(SessionChanged, self._on_session)
        self._thread = threading.Thread(target=self._run, name="unmask-service", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ends what is shown here (faces blurred again); grants stay stored until they
        expire, so a console restarted in time by the same person shows them again."""
        thread = self._thread
        if thread is None:
            return
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        thread.join(10)
        self._thread = None
        if self._subscription is not None:
            self._subscription.cancel()
            self._subscription = None

    def submit(self, command: object) -> None:
        """Queues an unmask command; returns at once."""
        if not isinstance(command, UnmaskCommand):
            raise TypeError(f"the unmask service takes no {type(command).__name__}")
        self._queue(command)

    def reload(self, ids: Iterable[str]) -> None:
        """Re-reads requests another workstation changed (called by the change listener)."""
        self._queue(("reload", tuple(ids)))

    def poke(self) -> None:
        """Re-checks expiries now (after the clock jumped: a resume from sleep, a test)."""
        self._queue(("session",))

    def requests(self, states: Sequence[UnmaskState] = ()) -> list[UnmaskRequest]:
        """Stored requests, newest first (all, or those in ``states``)."""
        return self.saved.requests(states)

    def _queue(self, job: object) -> None:
        with self._wake:
            self._jobs.append(job)
            self._wake.notify_all()

    def _on_session(self, batch: Sequence[SessionChanged]) -> None:
        self._queue(("session",))

    # --- the thread ----------------------------------------------------------------------

    def _run(self) -> None:
        self._safely(self._startup)
        while True:
            with self._wake:
                while not self._jobs and not self._stopping:
                    delay = self._next_expiry_s()
                    if delay is not None and delay <= 0:
                        break
                    self._wake.wait(delay)
                if self._stopping:
                    break
                job = self._jobs.popleft() if self._jobs else None
            if job is not None:
                self._safely(lambda job=job: self._do(job))
            self._safely(self._expire_due)
        self._safely(self._shutdown)

    def _safely(self, work: Callable[[], None]) -> None:
        try:
            work()
        except (StorageError, SQLAlchemyError) as exc:
            log.error("Unmask service: %s", exc)
        except Exception:
            log.exception("Unmask service failed on a job")

    def _next_expiry_s(self) -> float | None:
        ends = [r.expires for r in self._granted.values() if r.expires is not None]
        if not ends:
            return None
        return max(0.0, (min(ends) - self.clock()).total_seconds())

    def _startup(self) -> None:
        granted = self.requests([UnmaskState.GRANTED])
        self._granted = {r.identifier: r for r in granted}
        # A grant that ended while the console was down: its camera is blurred again now.
        for request in granted:
            if request.kind is UnmaskKind.FACES and not self._in_force(request):
                self.set_face_blur(
                    SetFaceBlur(request.target, True, _("unmask ended"), request.requested_by)
                )
        self._expire_due()
        self._reconcile()

    def _shutdown(self) -> None:
        for identifier in list(self._active):
            self._deactivate(self._active.pop(identifier))

    def _do(self, job: object) -> None:
        if isinstance(job, tuple):
            if job[0] == "reload":
                self._reload(job[1])
            self._reconcile()
            return
        try:
            if isinstance(job, RequestUnmask):
                self._request(job)
            elif isinstance(job, DecideUnmask):
                self._decide(job)
            elif isinstance(job, EndUnmask):
                self._end(job)
        except _RefusedError as refusal:
            self._refuse(job, str(refusal))
        self._reconcile()

    # --- commands ------------------------------------------------------------------------

    def _request(self, command: RequestUnmask) -> None:
        purpose = command.purpose.strip()
        if len(purpose) < MIN_PURPOSE:
            raise _RefusedError(
                _("State the purpose of the unmask (at least {count} characters).").format(
                    count=MIN_PURPOSE
                )
            )
        minutes = command.minutes or self.rules.default_minutes
        if not 1 <= minutes <= self.rules.max_minutes:
            raise _RefusedError(
                _("An unmask lasts 1 to {minutes} minutes.").format(minutes=self.rules.max_minutes)
            )
        principal = self.security.principal
        if principal is None or principal.username != command.by:
            raise _RefusedError(_("Only the person signed in here can request an unmask."))
        camera = command.target if command.kind is UnmaskKind.FACES else None
        if not permits(principal, Permission.UNMASK, camera=camera):
            raise _RefusedError(_("You may not unmask this."))
        self._check_target(command.kind, command.target)
        now = self.clock()
        approval = self.rules.approval
        request = UnmaskRequest(
            identifier=command.identifier or new_identifier(),
            kind=command.kind,
            target=command.target,
            purpose=purpose,
            requested_by=command.by,
            requested=now,
            minutes=minutes,
            state=UnmaskState.PENDING if approval else UnmaskState.GRANTED,
            decided=None if approval else now,
            expires=None if approval else now + timedelta(minutes=minutes),
        )
        self._insert(request)
        self._audit(command.by, "unmask.request", request, minutes=minutes, approval=approval)
        self._changed(request)

    def _check_target(self, kind: UnmaskKind, target: str) -> None:
        if kind is UnmaskKind.FACES:
            if not target or (self.known_camera is not None and not self.known_camera(target)):
                raise _RefusedError(_("No camera {camera} here.").format(camera=target))
        elif not identities.known(self.store, target):
            raise _RefusedError(
                _("No author is known under the pseudonym {name}.").format(name=target)
            )

    def _decide(self, command: DecideUnmask) -> None:
        request = self._load(command.request_id)
        if request.state is not UnmaskState.PENDING:
            raise _RefusedError(_("This request was decided already."))
        if command.by == request.requested_by:
            raise _RefusedError(_("A second person must decide: not the one who asked."))
        approver = self._approver(command)
        camera = request.target if request.kind is UnmaskKind.FACES else None
        if not permits(approver, Permission.APPROVE_UNMASK, camera=camera):
            raise _RefusedError(
                _("{name} may not approve unmask requests.").format(name=command.by)
            )
        now = self.clock()
        if command.approve:
            decided = replace(
                request,
                state=UnmaskState.GRANTED,
                decided_by=command.by,
                decided=now,
                note=command.note,
                expires=now + timedelta(minutes=request.minutes),
                version=request.version + 1,
            )
        else:
            decided = replace(
                request,
                state=UnmaskState.DENIED,
                decided_by=command.by,
                decided=now,
                note=command.note,
                version=request.version + 1,
            )
        if not self._update(request, decided):
            raise _RefusedError(_("Someone else decided this request first."))
        action = "unmask.approve" if command.approve else "unmask.deny"
        self._audit(command.by, action, decided, note=command.note)
        self._changed(decided)

    def _approver(self, command: DecideUnmask) -> Principal:
        """The deciding person: the one signed in here, or one who proves it with their
        password at the requester's desk."""
        principal = self.security.principal
        if principal is not None and principal.username == command.by and not command.password:
            return principal
        if not command.password:
            raise _RefusedError(_("The approver must enter their password."))
        try:
            return self.security.verify(command.by, command.password)
        except Exception:  # SignInError and any failure of the check: not proven
            raise _RefusedError(_("The approver's password was not accepted.")) from None

    def _end(self, command: EndUnmask) -> None:
        request = self._load(command.request_id)
        if request.state not in (UnmaskState.GRANTED, UnmaskState.PENDING):
            raise _RefusedError(_("This unmask is not in force."))
        if command.by != request.requested_by:
            principal = self.security.principal
            if (
                principal is None
                or principal.username != command.by
                or not permits(principal, Permission.APPROVE_UNMASK)
            ):
                raise _RefusedError(_("Only the requester or an approver can end an unmask."))
        ended = replace(request, state=UnmaskState.ENDED, version=request.version + 1)
        if not self._update(request, ended):
            raise _RefusedError(_("This request changed meanwhile; look again."))
        self._audit(command.by, "unmask.end", ended)
        self._changed(ended)

    def _expire_due(self) -> None:
        now = self.clock()
        for request in list(self._granted.values()):
            if request.expires is not None and request.expires <= now:
                expired = replace(request, state=UnmaskState.EXPIRED, version=request.version + 1)
                if self._update(request, expired):
                    self._audit(f"system:{self.workstation}", "unmask.expire", expired)
                    self._changed(expired)
                else:  # another workstation expired or ended it first
                    self._reload([request.identifier])
        self._reconcile()

    def _refuse(self, command: object, message: str) -> None:
        by = getattr(command, "by", "")
        action = {
            RequestUnmask: "unmask.request",
            DecideUnmask: "unmask.approve" if getattr(command, "approve", False) else "unmask.deny",
            EndUnmask: "unmask.end",
        }[type(command)]
        target = getattr(command, "target", "") or getattr(command, "request_id", "")
        detail: dict[str, Any] = {"reason": message}
        if isinstance(command, RequestUnmask):
            detail.update(kind=command.kind.value, purpose=command.purpose)
        log.info("Unmask %s by %s refused: %s", action, by, message)
        self.audit.record(AuditEvent(by, action, target, Outcome.REFUSED, detail, self.workstation))
        self.hub.publish(PermissionRefused(command, message))

    # --- what is shown here --------------------------------------------------------------

    def _in_force(self, request: UnmaskRequest) -> bool:
        return (
            request.state is UnmaskState.GRANTED
            and request.expires is not None
            and request.expires > self.clock()
        )

    def _reconcile(self) -> None:
        """Shows here exactly the grants in force whose requester is signed in here."""
        principal = self.security.principal
        here = principal.username if principal is not None else None
        wanted = {
            r.identifier: r
            for r in self._granted.values()
            if self._in_force(r) and r.requested_by == here and not self._stopping
        }
        for identifier in list(self._active):
            if identifier not in wanted:
                self._deactivate(self._active.pop(identifier))
        for identifier, request in wanted.items():
            if identifier not in self._active:
                self._active[identifier] = request
                self._activate(request)

    def _activate(self, request: UnmaskRequest) -> None:
        if request.kind is UnmaskKind.FACES:
            self.set_face_blur(
                SetFaceBlur(request.target, False, request.purpose, request.requested_by)
            )
        else:
            try:
                identity = identities.lookup(self.store, self.sealer, request.target)
            except SealError as exc:
                log.error("Cannot reveal the author of %s: %s", request.target, exc)
                return
            if identity is None:
                log.error("No sealed identity for %s", request.target)
                return
            assert request.expires is not None
            self.hub.publish(
                RevealedAuthor(
                    identity.pseudonym,
                    identity.platform,
                    identity.handle,
                    request.expires,
                    request.identifier,
                )
            )
        self._audit(request.requested_by, "unmask.reveal", request)

    def _deactivate(self, request: UnmaskRequest) -> None:
        if request.kind is not UnmaskKind.FACES:
            return  # panels forget the handle on the request's UnmaskChanged
        still = any(
            r.kind is UnmaskKind.FACES and r.target == request.target for r in self._active.values()
        )
        if not still:
            self.set_face_blur(
                SetFaceBlur(request.target, True, _("unmask ended"), request.requested_by)
            )

    # --- the store -----------------------------------------------------------------------

    def _track(self, request: UnmaskRequest) -> None:
        if request.state is UnmaskState.GRANTED:
            self._granted[request.identifier] = request
        else:
            self._granted.pop(request.identifier, None)

    def _changed(self, request: UnmaskRequest) -> None:
        self._track(request)
        log.info(
            "Unmask request %s (%s %s, by %s): %s",
            request.identifier,
            request.kind.value,
            request.target,
            request.requested_by,
            request.state.value,
        )
        self.hub.publish(UnmaskChanged(request))

    def _reload(self, ids: Sequence[str]) -> None:
        for request in self.saved.by_ids(ids):
            self._changed(request)

    def _load(self, identifier: str) -> UnmaskRequest:
        request = self.saved.get(identifier)
        if request is None:
            raise _RefusedError(_("No unmask request {id}.").format(id=identifier))
        return request

    def _insert(self, request: UnmaskRequest) -> None:
        if not self.saved.insert(request):
            raise _RefusedError(_("This unmask request exists already."))

    def _update(self, before: UnmaskRequest, after: UnmaskRequest) -> bool:
        return self.saved.update(before, after)

    def _audit(self, actor: str, action: str, request: UnmaskRequest, **extra: Any) -> None:
        detail: dict[str, Any] = {
            "request": request.identifier,
            "kind": request.kind.value,
            "purpose": request.purpose,
            "requested_by": request.requested_by,
            "state": request.state.value,
        }
        if request.expires is not None:
            detail["expires"] = request.expires.isoformat()
        detail.update({k: v for k, v in extra.items() if v not in ("", None)})
        self.audit.record(
            AuditEvent(actor, action, request.target, Outcome.OK, detail, self.workstation)
        )
