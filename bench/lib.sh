# Helpers shared by the side-by-side benchmark scripts (sourced, not run). Figures are recorded as
# figure<TAB>rep<TAB>value lines in $RAW; repetitions are numbered, other rows (warm-up, one-off tools)
# carry a name in the rep column and are left out of medians and ranges.

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { echo "error: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
positive() { case "$2" in ""|*[!0-9]*|0) die "$1 must be a positive integer (got '$2')";; esac; }

APT_UPDATED=0
apt_install() {  # apt_install PKG... : installs the Debian packages that are missing
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and apt-get is not available; install them yourself"
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [ $APT_UPDATED = 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root apt-get install -y -qq "${missing[@]}" >/dev/null
}

record() { printf '%s\t%s\t%s\n' "$1" "$REP" "$2" >>"$RAW"; }  # record FIGURE VALUE, for repetition $REP
settle() { sync; sleep "$SETTLE"; }  # let writeback of the previous step finish and the disk go idle
kv() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<" $2"; }  # kv KEY LINE : the value of KEY=value in LINE

# The values of FIGURE over the numbered repetitions, ascending.
rep_values() { awk -F'\t' -v f="$1" '$1 == f && $2 ~ /^[0-9]+$/ {print $3}' "$RAW" | sort -g; }
median() {  # median FIGURE : median over the repetitions (empty if none)
  rep_values "$1" | awk '{a[NR]=$1} END{ if (NR == 0) exit; if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2] + a[NR/2+1]) / 2 }'
}
range() { rep_values "$1" | awk 'NR==1{lo=$1} {hi=$1} END{if (NR) print lo " - " hi}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a/b }'; }
fmt0() { awk -v x="$1" 'BEGIN{printf "%.0f", x}'; }
fmt1() { awk -v x="$1" 'BEGIN{printf "%.1f", x}'; }

# The .NET SDK, installed the way ./test.sh installs it when missing.
ensure_dotnet() {
  command -v dotnet >/dev/null 2>&1 && return 0
  log "dotnet not found: installing the .NET SDK via ./test.sh --deps-only"
  "$ROOT/test.sh" --deps-only
  export DOTNET_ROOT=${DOTNET_ROOT:-$HOME/.dotnet}
  export PATH="$DOTNET_ROOT:$PATH"
  command -v dotnet >/dev/null 2>&1 || die "the .NET SDK could not be installed"
}

# Publishes tusk (Release) into $OUT/tusk, unless SKIP_BUILD=1 and a build is already there.
publish_tusk() {
  mkdir -p "$OUT"
  if [ "${SKIP_BUILD:-0}" = 1 ] && [ -f "$OUT/tusk/tusk.dll" ]; then return 0; fi
  log "building tusk (Release) into bench/out/tusk"
  (cd "$ROOT" && dotnet publish src/Tusk.Cli -c Release -o "$OUT/tusk" -nologo -v quiet) >"$OUT/publish.log" 2>&1 \
    || { cat "$OUT/publish.log" >&2; die "dotnet publish failed"; }
  rm -f "$OUT/publish.log"
}
