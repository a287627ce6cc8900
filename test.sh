#!/usr/bin/env bash
# Runs every Tusk test. On a fresh Debian 12 machine it first installs what the tests need:
# the .NET 10 SDK (Microsoft's dotnet-install.sh, into ~/.dotnet) when `dotnet` with a 10.0 SDK is missing,
# and the Debian packages the tests use. Uses sudo only when not running as root.
#
#   ./test.sh                 install what is missing, then: dotnet test Tusk.sln -c Release
#   ./test.sh --deps-only     only install what is missing
#   ./test.sh -- ARGS...      pass ARGS to dotnet test (e.g. -- --filter FullyQualifiedName~CrashTests)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"

# Debian packages the .NET SDK needs to run (ICU is added below: its package name carries the version).
DOTNET_APT_PACKAGES=(ca-certificates curl libc6 libgcc-s1 libssl3 libstdc++6 zlib1g tzdata)
# Debian packages the tests themselves use: the Kafka clients the broker tests drive (kcat, kafka-python,
# confluent-kafka). Later issues add theirs here, e.g. postgresql-client (psql, pgbench).
TEST_APT_PACKAGES=(kcat python3-kafka python3-confluent-kafka postgresql-client postgresql-contrib)

DEPS_ONLY=0
DOTNET_TEST_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --deps-only) DEPS_ONLY=1 ;;
    --) shift; DOTNET_TEST_ARGS=("$@"); break ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown argument '$1' (see ./test.sh --help)" >&2; exit 2 ;;
  esac
  shift
done

log() { echo "test.sh: $*" >&2; }
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else log "need root to run: $* (install sudo or run as root)"; exit 1
  fi
}

APT_UPDATED=0
# apt_install PKG... : installs only the packages that are not installed yet
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    log "not a Debian-like system: please install ${missing[*]} yourself"
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  if [ $APT_UPDATED -eq 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  log "apt-get install ${missing[*]}"
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

has_dotnet10() { command -v dotnet >/dev/null 2>&1 && dotnet --list-sdks 2>/dev/null | grep -q '^10\.'; }

# A previous run may have installed the SDK into ~/.dotnet without it being on PATH.
if ! has_dotnet10 && [ -x "$HOME/.dotnet/dotnet" ]; then
  export DOTNET_ROOT="$HOME/.dotnet" PATH="$HOME/.dotnet:$PATH"
fi

if ! has_dotnet10; then
  if command -v apt-get >/dev/null 2>&1; then
    apt_install "${DOTNET_APT_PACKAGES[@]}"
    if ! dpkg-query -W -f='${Package} ${Status}\n' 'libicu*' 2>/dev/null | grep -qE '^libicu[0-9]+ install ok installed'; then
      if [ $APT_UPDATED -eq 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
      icu=$(apt-cache pkgnames libicu 2>/dev/null | grep -E '^libicu[0-9]+$' | sort -V | tail -1 || true)
      if [ -n "$icu" ]; then apt_install "$icu"; fi
    fi
  fi
  log "installing the .NET 10 SDK into $HOME/.dotnet (dotnet-install.sh)"
  installer=$(mktemp)
  curl -fsSL --retry 3 https://dot.net/v1/dotnet-install.sh -o "$installer" \
    || { log "could not download https://dot.net/v1/dotnet-install.sh; install the .NET 10 SDK yourself (https://learn.microsoft.com/dotnet/core/install/linux-debian) and rerun"; exit 1; }
  bash "$installer" --channel 10.0 --install-dir "$HOME/.dotnet" --no-path >/dev/null \
    || { log "dotnet-install.sh failed; install the .NET 10 SDK yourself and rerun"; exit 1; }
  rm -f "$installer"
  export DOTNET_ROOT="$HOME/.dotnet" PATH="$HOME/.dotnet:$PATH"
  has_dotnet10 || { log "the .NET 10 SDK is still not available"; exit 1; }
  log "installed $(dotnet --version); add $HOME/.dotnet to PATH to use it outside this script"
fi

if [ ${#TEST_APT_PACKAGES[@]} -gt 0 ]; then apt_install "${TEST_APT_PACKAGES[@]}"; fi

[ $DEPS_ONLY -eq 1 ] && exit 0

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
exec dotnet test Tusk.sln -c Release "${DOTNET_TEST_ARGS[@]}"
