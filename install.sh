#!/bin/sh
# Install sextant: downloads the executable for this OS and CPU from a release, checks it against
# the release's SHA256SUMS, and puts it in ~/.local/bin (or the directory you name).
#
#   curl -fsSL https://github.com/sextant-deploy/sextant/releases/latest/download/install.sh | sh
#   sh install.sh [DIRECTORY]
#
# Environment:
#   SEXTANT_INSTALL_URL   the release directory to download from (default: the latest release;
#                         any URL or local directory holding the files of scripts/release)
#   SEXTANT_VERSION       a version to install instead of the latest (e.g. 0.1.0)
#   SEXTANT_INSTALL_DIR   where to install (default ~/.local/bin; an argument wins)
# POSIX sh only: it runs under dash, busybox sh, macOS's sh and Git Bash on Windows.
set -eu

RELEASES=https://github.com/sextant-deploy/sextant/releases

die() {
  printf 'install.sh: %s\n' "$*" >&2
  exit 1
}

if [ -n "${SEXTANT_INSTALL_URL:-}" ]; then
  base=${SEXTANT_INSTALL_URL%/}
elif [ -n "${SEXTANT_VERSION:-}" ]; then
  base=$RELEASES/download/v${SEXTANT_VERSION#v}
else
  base=$RELEASES/latest/download
fi
dir=${1:-${SEXTANT_INSTALL_DIR:-${HOME:?HOME is not set}/.local/bin}}

case $(uname -s) in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  MINGW* | MSYS* | CYGWIN*) os=windows ;;
  *) die "no sextant executable for $(uname -s): releases exist for Linux, macOS and Windows" ;;
esac
case $(uname -m) in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "no sextant executable for the $(uname -m) CPU: releases exist for x86-64 and arm64" ;;
esac
# An x64 shell under Rosetta on an Apple silicon Mac: the arm64 executable is the right one.
if [ "$os" = darwin ] && [ "$arch" = x64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = 1 ]; then
  arch=arm64
fi
file=sextant-$os-$arch
name=sextant
if [ "$os" = windows ]; then
  [ "$arch" = x64 ] || die "no sextant executable for Windows on arm64: use the x64 one (Windows runs it emulated)"
  file=$file.exe
  name=sextant.exe
fi

# Download $1 (a file of the release) to $2: curl, else wget; a local directory is copied.
fetch() {
  case $base in
    http://* | https://*)
      if command -v curl >/dev/null 2>&1; then
        curl -fsSL --retry 2 -o "$2" "$base/$1" || die "cannot download $base/$1"
      elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$2" "$base/$1" || die "cannot download $base/$1"
      else
        die "neither curl nor wget is installed"
      fi
      ;;
    *) cp "${base#file://}/$1" "$2" 2>/dev/null || die "cannot read ${base#file://}/$1" ;;
  esac
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -c1-64
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -c1-64
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 "$1" | sed 's/.*= *//'
  else
    die "no sha256sum, shasum or openssl to check the download with"
  fi
}

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t sextant)
trap 'rm -rf "$tmp"' EXIT INT TERM

printf 'Downloading %s from %s\n' "$file" "$base"
fetch SHA256SUMS "$tmp/SHA256SUMS"
expected=$(grep " [ *]$file\$" "$tmp/SHA256SUMS" | cut -c1-64 || true)
[ -n "$expected" ] || die "$base/SHA256SUMS lists no $file: nothing installed"
fetch "$file" "$tmp/$file"
actual=$(sha256 "$tmp/$file")
[ "$actual" = "$expected" ] || die "checksum mismatch for $file (expected $expected, got $actual): the download is damaged or altered; nothing installed"

chmod 755 "$tmp/$file"
mkdir -p "$dir" || die "cannot create $dir"
# Copy next to the target, then rename: a running sextant is never left half-written.
cp "$tmp/$file" "$dir/.$name.partial" || die "cannot write to $dir"
mv -f "$dir/.$name.partial" "$dir/$name"
version=$("$dir/$name" version 2>/dev/null || echo "?")
printf 'Installed sextant %s to %s\n' "$version" "$dir/$name"
case ":${PATH:-}:" in
  *":$dir:"*) ;;
  *) printf 'Add it to your PATH, e.g.: export PATH="%s:$PATH"\n' "$dir" ;;
esac
