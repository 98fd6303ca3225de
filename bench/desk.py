"""A console window with someone signed in, for the benchmarks that measure the GUI.

Benchmarks run on a scratch database of their own: the demo accounts are added to it (never to
a real one) and the demo supervisor, who sees every panel, signs in.
"""

from __future__ import annotations

from typing import Any

from app.security.accounts import DEMO_PASSWORD, AccountStore, seed_demo_accounts
from app.settings import Settings
from app.storage import RecordStore, create_engine_for, upgrade_schema


def signed_in_console(app: Any, settings: Settings, layouts: Any) -> Any:  # -> Console
    from widgets.application import open_console

    engine = create_engine_for(settings.effective_database_url())
    try:
        upgrade_schema(engine)
        seed_demo_accounts(AccountStore(RecordStore(engine)))
    finally:
        engine.dispose()
    return open_console(app, settings, layouts, "supervisor", DEMO_PASSWORD)
