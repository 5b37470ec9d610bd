"""Tables of what each site runs and when it trades: its releases and its trading calendar.

Store room: declares tables on the shared `metadata` of `cloud.store.tables` (which imports
this module at its end); no engine, no I/O. Created by migration 0310.
"""

from __future__ import annotations

import sqlalchemy as sa

from cloud.store.tables import UtcDateTime, metadata

# The release state each site's agent last reported (its hello, or an install's result).
site_releases = sa.Table(
    "site_releases",
    metadata,
    sa.Column("site_id", sa.String(63), primary_key=True),
    sa.Column("current_bundle", sa.String(64), nullable=False),
    sa.Column("last_known_good", sa.String(64), nullable=False),
    sa.Column("last_install_bundle", sa.String(64), nullable=False),
    # 'installed', 'rolled_back', 'already_current', or '' when the site never installed.
    sa.Column("last_install_outcome", sa.String(32), nullable=False),
    sa.Column("last_install_failed_step", sa.String(64), nullable=False),
    sa.Column("last_install_message", sa.Text, nullable=False),
    sa.Column("reported_at", UtcDateTime, nullable=False),
)

# Each site's trading calendar (a serialized TradingCalendar) and the config generation
# that carries it to the agent.
site_calendars = sa.Table(
    "site_calendars",
    metadata,
    sa.Column("site_id", sa.String(63), primary_key=True),
    sa.Column("calendar", sa.LargeBinary, nullable=False),
    sa.Column("config_generation", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
)
