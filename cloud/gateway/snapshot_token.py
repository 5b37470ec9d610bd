"""The resume token of a snapshot sent in pages: where the next page starts.

Gateway room, pure: encodes and decodes `ChangePage.resume_token` (the snapshot's seq and the
last (scope, key) sent); no I/O. The agent treats the token as opaque bytes and passes it back
in `StreamCheckpoint.snapshot_resume_token`. A token that does not decode is bad input:
retrying the same token cannot help; the agent starts the snapshot again without one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from shared.errors import InvalidInput

_VERSION = 1


@dataclass(frozen=True)
class SnapshotResume:
    """A snapshot of a stream at `as_of_seq`, sent up to entity (scope, key) `after`."""

    as_of_seq: int
    after: tuple[str, str]


def encode_token(resume: SnapshotResume) -> bytes:
    scope, key = resume.after
    return json.dumps([_VERSION, resume.as_of_seq, scope, key], separators=(",", ":")).encode()


def decode_token(stream: str, token: bytes) -> SnapshotResume:
    """The resume point in `token`; `InvalidInput` saying what to do when it is not one."""
    try:
        value = json.loads(token.decode())
    except (UnicodeDecodeError, ValueError):
        value = None
    if (
        not isinstance(value, list)
        or len(value) != 4
        or value[0] != _VERSION
        or not isinstance(value[1], int)
        or value[1] < 0
        or not all(isinstance(part, str) for part in value[2:])
    ):
        raise InvalidInput(
            f"snapshot_resume_token of stream {stream!r} is not a token this gateway issued; "
            "nothing was read. Start the snapshot again (want_snapshot without a token)"
        )
    return SnapshotResume(value[1], (value[2], value[3]))
