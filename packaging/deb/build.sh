#!/usr/bin/env bash
# Builds dist/commerce-edge_<version>_<arch>.deb: the edge agent in a private venv at
# /opt/commerce-edge on the system python3, its systemd unit and an example config.
#
# How the venv ends up at /opt/commerce-edge without building on the host's /opt:
# it is created in a staging root at <stage>/opt/commerce-edge with the system python3
# (/usr/bin/python3, symlinked, so the interpreter is the target's own Debian python3),
# the wheel is installed with pip (no byte-compilation), and then every text file that
# still names the staging path (script shebangs, bin/activate*, pyvenv.cfg) is rewritten
# to /opt/commerce-edge; the build fails if any file still names the staging path. Only
# then are the .pyc files compiled, with their recorded source paths under /opt. This is
# the approach dh-virtualenv takes; a venv has no other absolute paths in it.
#
# Environment: DEB_PYTHON (default /usr/bin/python3), OUT_DIR (default <repo>/dist).
set -euo pipefail
umask 022

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=${DEB_PYTHON:-/usr/bin/python3}
out_dir=${OUT_DIR:-$repo/dist}
prefix=/opt/commerce-edge
package=commerce-edge

die() { echo "build.sh: $*" >&2; exit 1; }

[ -x "$python" ] || die "$python not found; install Debian's python3 (apt-get install python3 python3-venv)"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found; run this on Debian (apt-get install dpkg-dev)"

version=$("$python" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' "$repo/pyproject.toml")
arch=$(dpkg --print-architecture)
py_minor=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
py_next=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1] + 1}")')

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/root
venv=$stage$prefix

echo "==> building $package $version ($arch) on python $py_minor"

# 1. The project wheel, built from a clean copy so the source tree stays untouched.
mkdir -p "$work/src"
for item in pyproject.toml README.md cloud edge_agent shared proto; do
    [ -e "$repo/$item" ] && cp -r "$repo/$item" "$work/src/"
done
# pyproject.toml names README.md as the long description; a copy-only stand-in keeps the
# build working in a checkout that has not got one yet.
[ -e "$work/src/README.md" ] || echo "# commerce-edge" > "$work/src/README.md"
find "$work/src" \( -name __pycache__ -o -name '*.egg-info' \) -prune -exec rm -rf {} +

"$python" -m venv "$venv"
"$venv/bin/python" -m pip wheel --quiet --disable-pip-version-check --no-deps \
    --wheel-dir "$work/wheel" "$work/src"
wheel=$(ls "$work"/wheel/*.whl)

# 2. Edge extra only. The store server must never carry Temporal.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile \
    "${wheel}[edge]"
if "$venv/bin/python" -c 'import temporalio' 2>/dev/null \
        || compgen -G "$venv/lib/python*/site-packages/temporalio*" >/dev/null; then
    die "temporalio ended up in the edge package; the [edge] extra must not depend on it"
fi

# The wheel also carries the cloud coordinator and the generated Temporal wiring next to the
# protobuf modules, neither of which can run without the cloud extra: a store server gets
# none of it. The package manager of this venv is dpkg, so pip and setuptools go as well.
site_packages=$(echo "$venv"/lib/python*/site-packages)
rm -rf "$site_packages/cloud" "$venv/bin/commerce-cloud"
# The Temporal wiring (generated *_temporal.py and the runtime they share) is cloud-only.
find "$site_packages/ameide_core_proto" \( -name '*_temporal.py' -o -name '_temporal_runtime.py' \) \
    -delete
if grep -rlE '^\s*(import|from) temporalio' "$site_packages" >/dev/null; then
    die "packaged modules import temporalio: $(grep -rlE '^\s*(import|from) temporalio' "$site_packages" | head -5)"
fi
"$venv/bin/python" -m pip uninstall --quiet --yes pip setuptools >/dev/null
"$venv/bin/python" -c 'import edge_agent.cli.main' \
    || die "edge_agent.cli.main does not import in the packaged environment"
find "$venv" -name __pycache__ -prune -exec rm -rf {} +
# pip records the wheel's build-time location; it means nothing on a store server.
rm -f "$site_packages"/ameide_commerce_process-*.dist-info/direct_url.json

# 3. Move the venv to its final path: rewrite every mention of the staging path.
grep -rlIF "$venv" "$venv" | while IFS= read -r file; do
    sed -i "s|$venv|$prefix|g" "$file"
done
if grep -rlF "$stage" "$stage" >/dev/null; then
    die "files still name the staging path: $(grep -rlF "$stage" "$stage" | head -5)"
fi
"$python" -m compileall -q -j 0 -s "$stage" -p / "$venv/lib" >/dev/null

# 4. The rest of the file system.
install -d "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/etc/$package" \
    "$stage/usr/share/doc/$package"
ln -s "$prefix/bin/commerce-edge" "$stage/usr/bin/commerce-edge"
install -m 0644 "$repo/systemd/commerce-edge.service" "$stage/lib/systemd/system/"
install -m 0644 "$here/agent.toml" "$stage/etc/$package/agent.toml"
printf 'commerce-edge %s\nProprietary. All rights reserved.\n' "$version" \
    > "$stage/usr/share/doc/$package/copyright"

# 5. Control files.
install -d "$stage/DEBIAN"
installed_size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|" \
    -e "s|@ARCH@|$arch|" \
    -e "s|@INSTALLED_SIZE@|$installed_size|" \
    -e "s|@PYTHON_DEPENDS@|python3 (>= $py_minor), python3 (<< $py_next)|" \
    "$here/control.in" > "$stage/DEBIAN/control"
install -m 0644 "$here/conffiles" "$stage/DEBIAN/conffiles"
for script in postinst prerm postrm; do
    install -m 0755 "$here/$script" "$stage/DEBIAN/$script"
done

mkdir -p "$out_dir"
deb=$out_dir/${package}_${version}_${arch}.deb
dpkg-deb --build --root-owner-group "$stage" "$deb" >/dev/null
echo "$deb"
