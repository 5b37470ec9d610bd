"""The challenge secret is made once, whole, even when many callers ask for it at once."""

from __future__ import annotations

import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cloud.adapters.challenge_secret import open_or_create_challenge_secret


@pytest.mark.parametrize("round_", range(20))
def test_concurrent_first_use_gives_every_caller_the_same_whole_secret(
    tmp_path: Path, round_: int
) -> None:
    directory = tmp_path / f"pki-{round_}"
    callers = 64
    barrier = threading.Barrier(callers)

    def first_use() -> bytes:
        barrier.wait()
        return open_or_create_challenge_secret(directory)

    with ThreadPoolExecutor(max_workers=callers) as pool:
        secrets = list(pool.map(lambda _: first_use(), range(callers)))

    assert len(set(secrets)) == 1
    assert len(secrets[0]) == 32
    assert [p.name for p in directory.iterdir()] == ["domain-challenge.secret"]
    assert stat.S_IMODE((directory / "domain-challenge.secret").stat().st_mode) == 0o600
    assert open_or_create_challenge_secret(directory) == secrets[0]
