"""Bundle archives, built and read for real: what verifies, what is refused and why."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from shared.bundles import (
    ArchiveCorrupt,
    ArchiveLimits,
    ArchiveTooLarge,
    BundleIOError,
    BundleSpec,
    PayloadHashMismatch,
    SignatureInvalid,
    TrustedKeys,
    UnsafeArchiveEntry,
    UntrustedPublisher,
    build_bundle,
    open_bundle,
)
from tests.shared.bundles.conftest import (
    Entry,
    Publisher,
    make_publisher,
    plain,
    rewrite_archive,
    special,
)


@pytest.fixture
def archive(tmp_path: Path, spec: BundleSpec, publisher: Publisher) -> Path:
    out = tmp_path / "bundle.tar.gz"
    build_bundle(spec, [publisher.key], out)
    return out


def test_a_built_bundle_verifies_and_extracts_every_payload_in_step_order(
    tmp_path: Path, archive: Path, trusted: TrustedKeys, publisher: Publisher, spec: BundleSpec
) -> None:
    bundle = open_bundle(archive, trusted)

    assert bundle.signed_by == publisher.key_id
    assert bundle.manifest.bundle_id == "2026.11.1"
    assert [s.name for s in bundle.manifest.steps] == ["edge-projection", "edge-agent", "pos-ui"]
    assert [s.undoable for s in bundle.manifest.steps] == [False, True, True]
    dest = bundle.extract(tmp_path / "staged" / "2026.11.1")
    extracted = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
    assert extracted == [
        "manifest.json",
        "manifest.sig",
        "payloads/edge-agent/ameide_commerce_process-0.2.0-py3-none-any.whl",
        "payloads/edge-projection/0004_lanes.sql",
        "payloads/edge-projection/0005_tax.sql",
        "payloads/pos-ui/assets/app.js",
        "payloads/pos-ui/index.html",
    ]
    wheel = spec.steps[1].source
    assert (dest / "payloads/edge-agent" / wheel.name).read_bytes() == wheel.read_bytes()
    assert not [p for p in dest.parent.iterdir() if p.name.endswith(".partial")]


def test_the_same_payloads_and_key_build_the_same_bytes(
    tmp_path: Path, archive: Path, spec: BundleSpec, publisher: Publisher
) -> None:
    again = tmp_path / "again.tar.gz"
    build_bundle(spec, [publisher.key], again)
    assert again.read_bytes() == archive.read_bytes()


def test_several_trusted_keys_let_the_publisher_rotate_without_a_flag_day(
    tmp_path: Path, spec: BundleSpec
) -> None:
    old = make_publisher(tmp_path / "keys", "old")
    new = make_publisher(tmp_path / "keys", "new")
    by_old, by_new, by_both = (tmp_path / f"{n}.tar.gz" for n in ("old", "new", "both"))
    build_bundle(spec, [old.key], by_old)
    build_bundle(spec, [new.key], by_new)
    build_bundle(spec, [new.key, old.key], by_both)
    during_rotation = TrustedKeys.from_files([tmp_path / "keys"])  # a directory of *.pem
    assert set(during_rotation) == {old.key_id, new.key_id}
    only_old = TrustedKeys.from_files([old.public_pem])

    assert open_bundle(by_old, during_rotation).signed_by == old.key_id
    assert open_bundle(by_new, during_rotation).signed_by == new.key_id
    assert open_bundle(by_both, only_old).signed_by == old.key_id
    with pytest.raises(UntrustedPublisher, match=new.key_id):
        open_bundle(by_new, only_old)


def test_a_tampered_payload_is_refused_and_nothing_is_written(
    tmp_path: Path, archive: Path, trusted: TrustedKeys
) -> None:
    def swap_wheel(entries: list[Entry]) -> list[Entry]:
        return [
            (info, b"PK\x03\x04 evil build" if info.name.endswith(".whl") else data)
            for info, data in entries
        ]

    tampered = rewrite_archive(archive, tmp_path / "tampered.tar.gz", swap_wheel)
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(PayloadHashMismatch, match=r"edge-agent/.*does not match the signed") as err:
        open_bundle(tampered, trusted)
    assert err.value.retryable is False
    assert sorted(tmp_path.rglob("*")) == before


def test_an_altered_manifest_fails_its_signature(
    tmp_path: Path, archive: Path, trusted: TrustedKeys
) -> None:
    def relabel(entries: list[Entry]) -> list[Entry]:
        return [
            (info, data.replace(b'"0.2.0"', b'"9.9.9"') if info.name == "manifest.json" else data)
            for info, data in entries
        ]

    altered = rewrite_archive(archive, tmp_path / "altered.tar.gz", relabel)
    with pytest.raises(SignatureInvalid, match="does not verify") as err:
        open_bundle(altered, trusted)
    assert err.value.retryable is False


def test_a_corrupted_signature_is_refused(
    tmp_path: Path, archive: Path, trusted: TrustedKeys
) -> None:
    def flip(entries: list[Entry]) -> list[Entry]:
        out = []
        for info, data in entries:
            if info.name == "manifest.sig":
                i = data.index(b'"signature":"') + len(b'"signature":"')
                data = data[:i] + (b"B" if data[i : i + 1] == b"A" else b"A") + data[i + 1 :]
            out.append((info, data))
        return out

    with pytest.raises(SignatureInvalid):
        open_bundle(rewrite_archive(archive, tmp_path / "flipped.tar.gz", flip), trusted)


def test_a_bundle_signed_by_an_untrusted_key_is_refused_naming_both_sides(
    tmp_path: Path, spec: BundleSpec, trusted: TrustedKeys
) -> None:
    stranger = make_publisher(tmp_path / "stranger", "stranger")
    out = tmp_path / "stranger.tar.gz"
    build_bundle(spec, [stranger.key], out)
    with pytest.raises(UntrustedPublisher) as err:
        open_bundle(out, trusted)
    assert stranger.key_id in str(err.value)
    assert next(iter(trusted)) in str(err.value)
    assert err.value.retryable is False


@pytest.mark.parametrize(
    "entry",
    [
        plain("payloads/../../evil.sh", b"#!/bin/sh\n"),
        plain("../evil.sh", b"#!/bin/sh\n"),
        plain("/etc/cron.d/evil", b"* * * * * root true\n"),
        special("payloads/pos-ui/link", tarfile.SYMTYPE, "/etc/passwd"),
        special("payloads/pos-ui/hard", tarfile.LNKTYPE, "manifest.json"),
        special("payloads/pos-ui/tty", tarfile.CHRTYPE),
        special("payloads/pos-ui/disk", tarfile.BLKTYPE),
        special("payloads/pos-ui/pipe", tarfile.FIFOTYPE),
        plain("payloads/pos-ui/unlisted.js", b"alert(1)"),
        plain("run-me.sh", b"#!/bin/sh\n"),
    ],
    ids=[
        "traversal-in-payloads",
        "traversal",
        "absolute",
        "symlink",
        "hard-link",
        "char-device",
        "block-device",
        "fifo",
        "unlisted-payload",
        "outside-payloads",
    ],
)
def test_unsafe_or_unlisted_entries_are_refused(
    tmp_path: Path, archive: Path, trusted: TrustedKeys, entry: Entry
) -> None:
    bad = rewrite_archive(archive, tmp_path / "bad.tar.gz", lambda entries: [*entries, entry])
    with pytest.raises(UnsafeArchiveEntry, match="do not install it") as err:
        open_bundle(bad, trusted)
    assert err.value.retryable is False


def test_a_duplicate_entry_is_refused(tmp_path: Path, archive: Path, trusted: TrustedKeys) -> None:
    def duplicate(entries: list[Entry]) -> list[Entry]:
        info, _ = next(e for e in entries if e[0].name.endswith("index.html"))
        return [*entries, plain(info.name, b"<script>evil()</script>")]

    with pytest.raises(UnsafeArchiveEntry, match="appears twice"):
        open_bundle(rewrite_archive(archive, tmp_path / "dup.tar.gz", duplicate), trusted)


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (ArchiveLimits(max_archive_bytes=1024), "over the limit of 1024"),
        (ArchiveLimits(max_unpacked_bytes=4096), "unpacks to more than 4096"),
        (ArchiveLimits(max_entries=3), "more than 3 entries"),
    ],
)
def test_an_archive_over_a_limit_is_refused(
    archive: Path, trusted: TrustedKeys, limits: ArchiveLimits, message: str
) -> None:
    with pytest.raises(ArchiveTooLarge, match=message) as err:
        open_bundle(archive, trusted, limits)
    assert err.value.retryable is False


def test_a_payload_missing_from_the_archive_is_refused(
    tmp_path: Path, archive: Path, trusted: TrustedKeys
) -> None:
    def drop(entries: list[Entry]) -> list[Entry]:
        return [e for e in entries if not e[0].name.endswith("0005_tax.sql")]

    with pytest.raises(ArchiveCorrupt, match=r"0005_tax\.sql named in the manifest"):
        open_bundle(rewrite_archive(archive, tmp_path / "short.tar.gz", drop), trusted)


def test_a_truncated_download_is_refused_as_corrupt(
    tmp_path: Path, archive: Path, trusted: TrustedKeys
) -> None:
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(ArchiveCorrupt, match="fetch or build it again"):
        open_bundle(cut, trusted)
    not_an_archive = tmp_path / "notes.txt"
    not_an_archive.write_text("hello")
    with pytest.raises(ArchiveCorrupt):
        open_bundle(not_an_archive, trusted)


def test_an_archive_changed_after_verification_is_not_extracted(
    tmp_path: Path, archive: Path, trusted: TrustedKeys
) -> None:
    bundle = open_bundle(archive, trusted)

    def swap(entries: list[Entry]) -> list[Entry]:
        return [(i, b"evil" if i.name.endswith("index.html") else d) for i, d in entries]

    rewrite_archive(archive, archive, swap)
    dest = tmp_path / "staged" / "2026.11.1"
    with pytest.raises(PayloadHashMismatch, match="changed after the bundle was verified"):
        bundle.extract(dest)
    assert not dest.exists()
    assert list((tmp_path / "staged").iterdir()) == []


def test_an_unreadable_destination_is_a_retryable_io_error(
    tmp_path: Path, archive: Path, trusted: TrustedKeys
) -> None:
    bundle = open_bundle(archive, trusted)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(BundleIOError) as err:
        bundle.extract(blocker / "2026.11.1")
    assert err.value.retryable is True
