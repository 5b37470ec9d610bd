#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kubectl from the Go module proxy into
# $CACHE_DIR/bin/<name>-<version>, each only when missing. The operator tests run them on
# loopback (tests/support/kube.py); nothing here is shipped.
# Usage: tools/kube/build.sh CACHE_DIR [names...]
set -euo pipefail
cd "$(dirname "$0")"
cache_dir=${1:?usage: build.sh CACHE_DIR [kube-apiserver kube-controller-manager kubectl]}
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(kube-apiserver kube-controller-manager kubectl)
version=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' go.mod)
[[ $version =~ ^v([0-9]+)\.([0-9]+)\. ]] || { echo "cannot read the k8s.io/kubernetes version from go.mod" >&2; exit 1; }
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
command -v go >/dev/null || { echo "Go >= 1.26 is needed to build the Kubernetes test binaries" >&2; exit 1; }
mkdir -p "$cache_dir/bin"
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
for name in "${names[@]}"; do
  out="$cache_dir/bin/$name-$version"
  [ -x "$out" ] && continue
  echo "building $name $version into $out (several minutes the first time)" >&2
  CGO_ENABLED=0 GOFLAGS=-mod=mod nice -n 10 go build -trimpath -ldflags "$ldflags" \
    -o "$out.tmp" "k8s.io/kubernetes/cmd/$name"
  mv "$out.tmp" "$out"
done
