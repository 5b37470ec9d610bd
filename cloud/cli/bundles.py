"""`commerce-cloud compat ...` and `commerce-cloud bundles ...`: the compatibility matrix and
signed version bundles as ops use them.

CLI room: turns flags into calls on `FleetVersionService` (built by
`cloud.composition.fleet_assembly` over the cloud store) and prints tables or JSON; exit 2
for bad input, 1 for a refusal or another failure.
"""

from __future__ import annotations

import getpass
import re
import shutil
import sys
from pathlib import Path

import click

from cloud.adapters.store import CloudStore
from cloud.cli.errors import handle_errors
from cloud.cli.output import console, emit_json, table, when
from cloud.compatibility import Verdict, packaged_matrix_text
from cloud.composition.fleet_assembly import fleet_versions, trusted_keys_dir
from cloud.config import CloudConfig
from cloud.services.bundles import BundleCheck, FleetVersionService
from shared.bundles import (
    BundleSpec,
    Manifest,
    StepSource,
    build_bundle,
    generate_key_pair,
    key_id,
    load_public_key_pem,
    load_signing_key,
)
from shared.errors import InvalidInput

DEFAULT_PROTO_MAJORS = {"ameide_core_proto.process.commerce": 1}
_WHEEL_VERSION = re.compile(r"^[A-Za-z0-9_.]+-(\d+\.\d+\.\d+[^-]*)-")


_errors = handle_errors


def _service(ctx: click.Context) -> FleetVersionService:
    config: CloudConfig = ctx.obj
    store = CloudStore.open(config.store_url)
    ctx.call_on_close(store.close)
    return fleet_versions(config, store)


def _actor() -> str:
    return f"ops:{getpass.getuser()}"


def _print_verdict(check: BundleCheck, as_json: bool) -> None:
    verdict: Verdict = check.verdict
    if as_json:
        emit_json(
            {
                "bundle_id": check.manifest.bundle_id,
                "from_bundle_id": check.from_bundle_id,
                "allowed": verdict.allowed,
                "matrix_version": verdict.matrix_version,
                "refusals": [
                    {"rule": r.rule, "component": r.component, "message": r.message}
                    for r in verdict.refusals
                ],
            }
        )
        return
    what = f"bundle {check.manifest.bundle_id}"
    if check.from_bundle_id:
        what += f" (from {check.from_bundle_id})"
    if verdict.allowed:
        console.print(
            f"{what}: [green]allowed[/green] by compatibility matrix version "
            f"{verdict.matrix_version}",
            highlight=False,
        )
        return
    console.print(
        f"{what}: [red]refused[/red] by compatibility matrix version {verdict.matrix_version}",
        highlight=False,
    )
    table(
        "Refusing rules",
        ["rule", "component", "reason"],
        [(r.rule, r.component, r.message) for r in verdict.refusals],
    )


# compat


@click.group()
def compat() -> None:
    """The compatibility matrix: which component versions work together."""


@compat.command("check")
@click.argument("bundle")
@click.option("--from", "from_bundle", default=None, help="Published bundle a site runs now.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_errors
def compat_check(ctx: click.Context, bundle: str, from_bundle: str | None, as_json: bool) -> None:
    """Is BUNDLE (an archive file or a published bundle id) allowed on this cloud?"""
    service = _service(ctx)
    path = Path(bundle)
    check = (
        service.check_archive(path, from_bundle)
        if path.exists()
        else service.check_published(bundle, from_bundle)
    )
    _print_verdict(check, as_json)
    if not check.verdict.allowed:
        sys.exit(1)


@compat.command("load")
@click.argument("matrix_file", type=click.Path(path_type=Path, dir_okay=False), required=False)
@click.pass_context
@_errors
def compat_load(ctx: click.Context, matrix_file: Path | None) -> None:
    """Store MATRIX_FILE (default: the matrix shipped with this build) as the matrix in force."""
    try:
        text = matrix_file.read_text(encoding="utf-8") if matrix_file else packaged_matrix_text()
    except OSError as exc:
        raise InvalidInput(f"cannot read {matrix_file}: {exc.strerror}") from exc
    matrix, created = _service(ctx).load_matrix(text, _actor())
    state = "stored" if created else "already stored"
    console.print(f"compatibility matrix version {matrix.version} {state}", highlight=False)


@compat.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_errors
def compat_show(ctx: click.Context, as_json: bool) -> None:
    """The matrix in force, per component and release."""
    matrix, stored = _service(ctx).matrix()
    rows = [
        (
            name,
            comp.tier,
            str(rel.versions),
            ", ".join(f"{p} v{m}" for p, m in sorted(rel.proto_majors.items())) or "-",
            ", ".join(f"{o} {s}" for o, s in sorted(rel.requires.items())) or "-",
        )
        for name, comp in sorted(matrix.components.items())
        for rel in comp.releases
    ]
    if as_json:
        emit_json(
            {
                "version": matrix.version,
                "source": "store" if stored else "shipped",
                "releases": [
                    dict(
                        zip(
                            ("component", "tier", "versions", "proto_majors", "requires"),
                            r,
                            strict=True,
                        )
                    )
                    for r in rows
                ],
                "skew": [s.__dict__ for s in matrix.skew],
            }
        )
        return
    source = "cloud store" if stored else "file shipped with this build (not loaded yet)"
    table(
        f"Compatibility matrix version {matrix.version} ({source})",
        ["component", "tier", "versions", "proto majors", "requires"],
        rows,
    )
    for rule in matrix.skew:
        console.print(
            f"skew: {rule.component} never newer than {rule.against}: {rule.never_newer}; "
            f"at most {rule.max_minor_lag} minor versions behind",
            highlight=False,
        )


# bundles


@click.group()
def bundles() -> None:
    """Signed version bundles: keys, build, publish, list, show."""


@bundles.command("keygen")
@click.argument("private_key", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("public_key", type=click.Path(path_type=Path, dir_okay=False))
@_errors
def bundles_keygen(private_key: Path, public_key: Path) -> None:
    """Make an Ed25519 publisher key pair (the private key file is mode 0600)."""
    kid = generate_key_pair(private_key, public_key)
    console.print(f"publisher key {kid}: private {private_key}, public {public_key}")


@bundles.command("trust")
@click.argument("public_key", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.pass_context
@_errors
def bundles_trust(ctx: click.Context, public_key: Path) -> None:
    """Trust a publisher's public key for `bundles publish` (several may be trusted at once)."""
    kid = key_id(load_public_key_pem(public_key.read_bytes(), str(public_key)))
    directory = trusted_keys_dir(ctx.obj)
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(public_key, directory / f"{kid}.pem")
    console.print(f"publisher key {kid} is trusted ({directory / f'{kid}.pem'})")


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        name, sep, version = value.partition("=")
        if not sep or not name or not version:
            raise InvalidInput(f"{what} {value!r}: write NAME=VALUE, e.g. pos-ui=1.4.0")
        out[name] = version
    return out


@bundles.command("build")
@click.option("--bundle-id", required=True, help="Id of the bundle, e.g. 2026.11.1.")
@click.option(
    "--key",
    "key_file",
    required=True,
    type=click.Path(path_type=Path, exists=True),
    help="Publisher private key (PEM) to sign with.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Archive to write.",
)
@click.option(
    "--agent-wheel",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Edge agent build: a wheel of this project.",
)
@click.option(
    "--migrations",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="Directory of projection schema migrations.",
)
@click.option(
    "--migrations-undoable/--migrations-not-undoable",
    default=False,
    help="Whether the migrations step can be undone (default: not).",
)
@click.option(
    "--pos-ui",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="Directory of the POS UI static site.",
)
@click.option(
    "--version",
    "versions",
    multiple=True,
    help="COMPONENT=VERSION (repeatable); the agent's version comes from its wheel.",
)
@click.option(
    "--proto-major",
    "proto_majors",
    multiple=True,
    help="PACKAGE=MAJOR (repeatable); default ameide_core_proto.process.commerce=1.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@_errors
def bundles_build(
    bundle_id: str,
    key_file: Path,
    out: Path,
    agent_wheel: Path | None,
    migrations: Path | None,
    migrations_undoable: bool,
    pos_ui: Path | None,
    versions: tuple[str, ...],
    proto_majors: tuple[str, ...],
    as_json: bool,
) -> None:
    """Pack payloads into a signed bundle; steps apply as agent, projection, POS UI."""
    components = _pairs(versions, "--version")
    steps: list[StepSource] = []
    if agent_wheel is not None:
        found = _WHEEL_VERSION.match(agent_wheel.name)
        if "edge-agent" not in components:
            if not found:
                raise InvalidInput(
                    f"cannot read a version from wheel name {agent_wheel.name}; pass "
                    "--version edge-agent=X.Y.Z"
                )
            components["edge-agent"] = found.group(1)
        steps.append(StepSource("edge-agent", "edge-agent", "wheel", True, agent_wheel))
    for option, component, kind, undoable, source in (
        ("--migrations", "edge-projection", "migrations", migrations_undoable, migrations),
        ("--pos-ui", "pos-ui", "static-site", True, pos_ui),
    ):
        if source is None:
            continue
        if component not in components:
            raise InvalidInput(f"{option} needs --version {component}=X.Y.Z")
        steps.append(StepSource(component, component, kind, undoable, source))
    if not steps:
        raise InvalidInput("a bundle needs a payload: --agent-wheel, --migrations or --pos-ui")
    majors_text = _pairs(proto_majors, "--proto-major")
    try:
        majors = {k: int(v) for k, v in majors_text.items()} or dict(DEFAULT_PROTO_MAJORS)
    except ValueError as exc:
        raise InvalidInput(f"--proto-major wants PACKAGE=INTEGER: {exc}") from exc
    manifest = build_bundle(
        BundleSpec(bundle_id, components, majors, tuple(steps)), [load_signing_key(key_file)], out
    )
    if as_json:
        emit_json(manifest.to_json())
    else:
        _print_manifest(manifest, f"built {out}")


def _print_manifest(manifest: Manifest, title: str) -> None:
    console.print(
        f"{title}: bundle {manifest.bundle_id}, "
        + ", ".join(f"{c} {v}" for c, v in sorted(manifest.components.items())),
        highlight=False,
    )
    table(
        "Steps (applied in this order, undone in reverse)",
        ["#", "step", "component", "kind", "undoable", "files", "bytes"],
        [
            (
                i,
                s.name,
                s.component,
                s.kind,
                "yes" if s.undoable else "no",
                len(s.files),
                sum(f.size for f in s.files),
            )
            for i, s in enumerate(manifest.steps, start=1)
        ],
    )


@bundles.command("publish")
@click.argument("archive", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_errors
def bundles_publish(ctx: click.Context, archive: Path, as_json: bool) -> None:
    """Verify ARCHIVE (signature, every hash, matrix) and store it for rollouts."""
    row, created = _service(ctx).publish(archive, _actor())
    if as_json:
        emit_json({**row.__dict__, "created": created})
        return
    state = "published" if created else "already published"
    console.print(
        f"bundle {row.bundle_id} {state} (SHA-256 {row.sha256}, {row.size} bytes, signed by "
        f"{row.signed_by}, matrix version {row.matrix_version})",
        highlight=False,
    )


@bundles.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_errors
def bundles_list(ctx: click.Context, as_json: bool) -> None:
    """Published bundles, oldest first."""
    rows = _service(ctx).list()
    if as_json:
        emit_json([{k: v for k, v in r.__dict__.items() if k != "manifest"} for r in rows])
        return
    table(
        "Published bundles",
        ["bundle", "published", "size", "signed by", "matrix", "sha256"],
        [
            (
                r.bundle_id,
                when(r.published_at),
                r.size,
                r.signed_by,
                r.matrix_version,
                r.sha256[:16],
            )
            for r in rows
        ],
    )


@bundles.command("show")
@click.argument("bundle_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_errors
def bundles_show(ctx: click.Context, bundle_id: str, as_json: bool) -> None:
    """A published bundle's manifest: components, steps, files."""
    service = _service(ctx)
    row = service.get(bundle_id)
    manifest = service.manifest(bundle_id)
    if as_json:
        emit_json(
            {
                **{k: v for k, v in row.__dict__.items() if k != "manifest"},
                "manifest": manifest.to_json(),
            }
        )
        return
    _print_manifest(manifest, f"published {when(row.published_at)} by {row.published_by}")
