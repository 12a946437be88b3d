#!/usr/bin/env bash
# Septum host setup (Debian 12 "bookworm"). Idempotent: a run with everything
# already in place prints nothing, runs no `apt-get update` and takes about
# half a second (see the apt-state fast path of `artifacts`).
#
# Usage: sdk/tools/setup.sh COMMAND...
#   packages   install the Debian packages the build and the tests need
#   sources    ensure deb-src entries for bookworm and the arm64 foreign
#              architecture (apt-get update only when something changed)
#   artifacts  (implies sources) download the reference arm64 packages into
#              third_party/debs/, check their SHA256 against the apt index,
#              extract them into third_party/reference/<package>/ and write
#              third_party/reference/manifest.txt
#   all        packages, sources, artifacts
#
# Progress lines start with "septum setup:" and go to stderr; they appear only
# when the script actually does something.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/../.." && pwd -P)

# Host packages (Debian bookworm names, all checked with apt-cache policy).
PACKAGES=(
  bazel-bootstrap
  clang-14 lld-14 llvm-14 libclang-rt-14-dev
  qemu-system-arm device-tree-compiler
  protobuf-compiler libprotobuf-dev
  libgtest-dev
  nanopb libnanopb-dev
  libcapstone-dev libmbedtls-dev
  picolibc-aarch64-linux-gnu libstdc++-12-dev-arm64-cross
  python3
)

# Reference arm64 packages: "role package key-file-glob...". A package written
# as meta:NAME is resolved to the linux-image-* package the metapackage NAME
# depends on. Key-file globs are relative to the extracted package root; the
# first match is recorded in the manifest.
ARTIFACTS=(
  "kernel meta:linux-image-arm64 boot/vmlinuz-*"
  "busybox busybox-static bin/busybox usr/bin/busybox"
  "xen xen-hypervisor-4.17-arm64 boot/xen-4.17-arm64 boot/xen-*"
)
ARCH=arm64
DEBS_DIR="$REPO_ROOT/third_party/debs"
REF_DIR="$REPO_ROOT/third_party/reference"
MANIFEST="$REF_DIR/manifest.txt"
STAMP_NAME=.septum-stamp
APT_STATE_FILE="$REF_DIR/.septum-apt-state"
LISTS_DIR=/var/lib/apt/lists
SOURCE_FILES=()

APT_OPTS=(-o DPkg::Lock::Timeout=300)
APT_UPDATED=0
SOURCES_DONE=0
TMP_PATHS=()

log() { printf 'septum setup: %s\n' "$*" >&2; }
die() { printf 'septum setup: error: %s\n' "$*" >&2; exit 1; }

cleanup() {
  local p
  for p in "${TMP_PATHS[@]}"; do [[ -e $p ]] && rm -rf -- "$p"; done
  return 0
}
trap cleanup EXIT

# Runs a command as root: directly when root, through sudo when available.
as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "'$*' needs root, but this is not root and sudo is not installed; rerun as root"
  fi
}

apt_update() {
  log "running apt-get update"
  as_root apt-get -qq "${APT_OPTS[@]}" update ||
    die "apt-get update failed; check network access to the Debian mirror and the entries in /etc/apt/sources.list and /etc/apt/sources.list.d/"
  APT_UPDATED=1
}

check_repo_root() {
  [[ -f $REPO_ROOT/WORKSPACE || -f $REPO_ROOT/MODULE.bazel ]] ||
    die "cannot find the Septum repository root (expected WORKSPACE in $REPO_ROOT); run sdk/tools/setup.sh from a checkout"
}

# ---------------------------------------------------------------- packages --

# Prints the packages of "$@" that are not fully installed, one per line.
missing_packages() {
  local -A ok=()
  local name status
  while read -r name status; do
    [[ $status == "install ok installed" ]] && ok[$name]=1
  done < <(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null || true)
  for name in "$@"; do
    [[ -n ${ok[$name]:-} ]] || printf '%s\n' "$name"
  done
}

ensure_packages() {
  local missing=() p unavailable=()
  mapfile -t missing < <(missing_packages "${PACKAGES[@]}")
  ((${#missing[@]} == 0)) && return 0

  ((APT_UPDATED)) || apt_update
  local -A known=()
  while read -r p; do known[$p]=1; done < <(
    apt-cache show --no-all-versions "${missing[@]}" 2>/dev/null | sed -n 's/^Package: //p' || true)
  for p in "${missing[@]}"; do
    [[ -n ${known[$p]:-} ]] || unavailable+=("$p")
  done
  ((${#unavailable[@]} == 0)) ||
    die "Debian package(s) not available from the configured apt sources: ${unavailable[*]} (see 'apt-cache policy ${unavailable[0]}'; this script expects Debian 12 bookworm with the main component)"

  log "installing ${#missing[@]} Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${APT_OPTS[@]}" "${missing[@]}" ||
    die "apt-get install failed for: ${missing[*]} (rerun 'sudo apt-get install ${missing[*]}' to see why)"

  mapfile -t missing < <(missing_packages "${PACKAGES[@]}")
  ((${#missing[@]} == 0)) || die "still not installed after apt-get install: ${missing[*]}"
  log "Debian packages installed"
}

# ----------------------------------------------------------------- sources --

# Reads all apt source files ("$@", one-line *.list and deb822 *.sources) and
# writes deb-src counterparts of every enabled "deb" entry for suite $codename
# (and $codename-*, $codename/*) that has no deb-src entry yet: one-line
# entries to $listout, deb822 stanzas (copied, with Types: deb-src) to $srcout.
# Prints the number of "deb" entries found for $codename.
gen_deb_src() {
  local codename=$1 listout=$2 srcout=$3
  shift 3
  awk -v codename="$codename" -v listout="$listout" -v srcout="$srcout" '
    function suite_ok(s) {
      return s == codename || index(s, codename "-") == 1 || index(s, codename "/") == 1
    }
    function normuri(u) { sub(/\/+$/, "", u); return u }
    function flush(   i, j, nu, ns, us, ss) {
      if (nl > 0) {
        n822++
        s_text[n822] = text; s_types[n822] = " " types " "; s_uris[n822] = uris
        s_suites[n822] = suites; s_enabled[n822] = tolower(enabled)
      }
      nl = 0; text = ""; types = ""; uris = ""; suites = ""; enabled = "yes"; lastkey = ""
    }
    FNR == 1 { flush(); is822 = (FILENAME ~ /\.sources$/) }
    is822 {
      if ($0 ~ /^#/) next
      if ($0 ~ /^[ \t]*$/) { flush(); next }
      if ($0 ~ /^[ \t]/) {                 # continuation line
        if (lastkey == "uris") uris = uris " " $0
        else if (lastkey == "suites") suites = suites " " $0
        else if (lastkey == "types") { types = types " " $0; next }
        text = text "\n" $0; nl++
        next
      }
      c = index($0, ":")
      if (c == 0) next
      key = tolower(substr($0, 1, c - 1)); val = substr($0, c + 1)
      lastkey = key
      if (key == "types") { types = val; line = "Types: deb-src" }
      else {
        line = $0
        if (key == "uris") uris = val
        else if (key == "suites") suites = val
        else if (key == "enabled") { enabled = val; gsub(/[ \t]/, "", enabled) }
      }
      text = (nl ? text "\n" : "") line; nl++
      next
    }
    {                                      # one-line format
      sub(/#.*/, "")
      if (NF < 3) next
      type = $1; opts = ""; i = 2
      if ($2 ~ /^\[/) {
        opts = $2
        while ($i !~ /\]$/ && i < NF) { i++; opts = opts " " $i }
        i++
      }
      if (i + 1 > NF) next
      nol++
      o_type[nol] = type; o_opts[nol] = opts; o_uri[nol] = $i; o_suite[nol] = $(i + 1)
      comps = ""
      for (j = i + 2; j <= NF; j++) comps = comps " " $j
      o_comps[nol] = comps
    }
    END {
      flush()
      # What deb-src already covers.
      for (k = 1; k <= nol; k++)
        if (o_type[k] == "deb-src") covered[normuri(o_uri[k]) " " o_suite[k]] = 1
      for (k = 1; k <= n822; k++) {
        if (s_enabled[k] == "no" || s_types[k] !~ /[ \t]deb-src[ \t]/) continue
        nu = split(s_uris[k], us, /[ \t]+/); ns = split(s_suites[k], ss, /[ \t]+/)
        for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++)
          if (us[i] != "" && ss[j] != "") covered[normuri(us[i]) " " ss[j]] = 1
      }
      found = 0
      for (k = 1; k <= nol; k++) {
        if (o_type[k] != "deb" || !suite_ok(o_suite[k])) continue
        found++
        if (covered[normuri(o_uri[k]) " " o_suite[k]]) continue
        print "deb-src" (o_opts[k] != "" ? " " o_opts[k] : "") " " o_uri[k] " " o_suite[k] o_comps[k] > listout
      }
      for (k = 1; k <= n822; k++) {
        if (s_enabled[k] == "no" || s_types[k] !~ /[ \t]deb[ \t]/) continue
        nu = split(s_uris[k], us, /[ \t]+/); ns = split(s_suites[k], ss, /[ \t]+/)
        relevant = 0; need = 0
        for (j = 1; j <= ns; j++) {
          if (ss[j] == "" || !suite_ok(ss[j])) continue
          relevant = 1
          for (i = 1; i <= nu; i++)
            if (us[i] != "" && !covered[normuri(us[i]) " " ss[j]]) need = 1
        }
        if (!relevant) continue
        found++
        if (need) print s_text[k] "\n" > srcout
      }
      print found
    }
  ' "$@"
}

# Makes $dest contain exactly $content (with a header), or removes it when
# $content is empty. Returns 0 when it changed something, 1 otherwise.
sync_source_file() {
  local dest=$1 content=$2 desired
  if [[ -z $content ]]; then
    [[ -e $dest ]] || return 1
    log "removing $dest (no longer needed)"
    as_root rm -f -- "$dest"
    return 0
  fi
  desired="# Generated by Septum's sdk/tools/setup.sh sources: deb-src entries mirroring
# the deb entries for Debian $CODENAME. Safe to delete; setup.sh recreates it.
$content"
  if [[ -f $dest ]] && [[ "$(<"$dest")" == "$desired" ]]; then
    return 1
  fi
  log "writing $dest"
  printf '%s\n' "$desired" | as_root tee -- "$dest" >/dev/null
  as_root chmod 0644 -- "$dest"
  return 0
}

ensure_sources() {
  ((SOURCES_DONE)) && return 0
  local changed=0 native foreign sourcelist sourceparts
  local files=() f tmp found list_content src_content

  native=$(dpkg --print-architecture)
  foreign=" $(dpkg --print-foreign-architectures | tr '\n' ' ') "
  if [[ $native != "$ARCH" && $foreign != *" $ARCH "* ]]; then
    log "adding foreign architecture $ARCH (dpkg --add-architecture $ARCH)"
    as_root dpkg --add-architecture "$ARCH"
    changed=1
  fi

  CODENAME=bookworm
  if [[ -r /etc/os-release ]]; then
    CODENAME=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-bookworm}")
  fi
  sourcelist=/etc/apt/sources.list
  sourceparts=/etc/apt/sources.list.d
  eval "$(apt-config shell sourcelist Dir::Etc::sourcelist/f sourceparts Dir::Etc::sourceparts/d)"
  sourceparts=${sourceparts%/}
  [[ -f $sourcelist ]] && files+=("$sourcelist")
  for f in "$sourceparts"/*.list "$sourceparts"/*.sources; do
    [[ -f $f ]] || continue
    case ${f##*/} in septum-deb-src.list | septum-deb-src.sources) continue ;; esac
    files+=("$f")
  done
  ((${#files[@]})) || die "no apt source files found ($sourcelist, $sourceparts/*.list, $sourceparts/*.sources)"

  tmp=$(mktemp -d)
  TMP_PATHS+=("$tmp")
  : >"$tmp/list"
  : >"$tmp/sources"
  found=$(gen_deb_src "$CODENAME" "$tmp/list" "$tmp/sources" "${files[@]}") ||
    die "could not parse the apt source files: ${files[*]}"
  ((found > 0)) ||
    die "no enabled 'deb' entry for Debian $CODENAME found in ${files[*]}; add the Debian $CODENAME repository (e.g. deb.debian.org/debian) first"
  list_content=$(<"$tmp/list")
  src_content=$(<"$tmp/sources")
  sync_source_file "$sourceparts/septum-deb-src.list" "$list_content" && changed=1
  sync_source_file "$sourceparts/septum-deb-src.sources" "$src_content" && changed=1

  # Package lists must exist for the foreign architecture and for sources.
  local lists=""
  eval "$(apt-config shell lists Dir::State::lists/d)"
  LISTS_DIR=${lists:-/var/lib/apt/lists/}
  LISTS_DIR=${LISTS_DIR%/}
  SOURCE_FILES=("${files[@]}")
  if ((changed)) || ! compgen -G "$LISTS_DIR/*_binary-${ARCH}_Packages*" >/dev/null ||
    ! compgen -G "$LISTS_DIR/*_Sources*" >/dev/null; then
    apt_update
    compgen -G "$LISTS_DIR/*_binary-${ARCH}_Packages*" >/dev/null ||
      die "apt-get update fetched no $ARCH package lists; does the configured mirror carry $ARCH?"
  fi
  SOURCES_DONE=1
}

# --------------------------------------------------------------- artifacts --

declare -A VER=() SHA=() SIZE=() DEPS=()

# Loads Version/SHA256/Size/Depends of the candidate versions of "$@" (arm64).
apt_info() {
  local specs=() p key val pkg=""
  for p in "$@"; do specs+=("$p:$ARCH"); done
  while IFS= read -r line; do
    [[ $line == *:* && $line != [[:space:]]* ]] || continue
    key=${line%%:*}
    val=${line#*: }
    case $key in
      Package) pkg=$val ;;
      Version) VER[$pkg]=$val ;;
      SHA256) SHA[$pkg]=$val ;;
      Size) SIZE[$pkg]=$val ;;
      Depends) DEPS[$pkg]=$val ;;
    esac
  done < <(apt-cache show --no-all-versions "${specs[@]}" 2>/dev/null || true)
  for p in "$@"; do
    [[ -n ${VER[$p]:-} && -n ${SHA[$p]:-} ]] ||
      die "package $p:$ARCH not found in the apt index (see 'apt-cache policy $p:$ARCH'); is the $ARCH architecture enabled and 'apt-get update' done?"
  done
}

# Prints the linux-image-* package the (already loaded) metapackage $1
# depends on.
meta_target() {
  local meta=$1 dep
  dep=$(grep -o 'linux-image-[0-9][^ ,|()]*' <<<"${DEPS[$meta]:-}" | head -n1) || true
  [[ -n $dep ]] ||
    die "cannot resolve $meta:$ARCH to a kernel image package (Depends: ${DEPS[$meta]:-none})"
  printf '%s\n' "${dep%:*}"
}

human_size() { numfmt --to=iec --suffix=B "$1" 2>/dev/null || printf '%s bytes' "$1"; }

# Ensures a hash-checked copy of $1 (candidate version) in $DEBS_DIR; sets DEB.
# Returns 2 when the download itself failed (stale package lists?).
fetch_deb() {
  local pkg=$1 ver=${VER[$1]} sha=${SHA[$1]} file actual tmp got
  file="$DEBS_DIR/${pkg}_${ver//:/%3a}_${ARCH}.deb"
  DEB=$file
  if [[ ! -f $file ]]; then
    log "downloading $pkg:$ARCH $ver ($(human_size "${SIZE[$pkg]:-0}"))"
    tmp=$(mktemp -d "$DEBS_DIR/.download.XXXXXX")
    TMP_PATHS+=("$tmp")
    # Let apt's sandbox user write the download directory (avoids a notice).
    if [[ $EUID -eq 0 ]] && getent passwd _apt >/dev/null; then
      chown _apt "$tmp" 2>/dev/null || true
    fi
    if ! (cd "$tmp" && apt-get download -qq "$pkg:$ARCH=$ver"); then
      rm -rf -- "$tmp"
      return 2
    fi
    got=$(compgen -G "$tmp/*.deb" | head -n1) || true
    [[ -n $got ]] || die "apt-get download $pkg:$ARCH=$ver produced no .deb"
    mv -f -- "$got" "$file"
    rm -rf -- "$tmp"
  fi
  actual=$(sha256sum -- "$file")
  actual=${actual%% *}
  if [[ $actual != "$sha" ]]; then
    rm -f -- "$file"
    die "SHA256 MISMATCH for $pkg:$ARCH $ver: $file has $actual but the apt index says $sha; the file was deleted. Rerun 'sdk/tools/setup.sh artifacts' to download it again (after 'apt-get update' if this persists)."
  fi
  # Drop other cached versions of the same package.
  local old
  for old in "$DEBS_DIR/${pkg}_"*"_${ARCH}.deb"; do
    [[ -f $old && $old != "$file" ]] && rm -f -- "$old"
  done
  return 0
}

# Extracts $DEB for package $1 into $REF_DIR/$1 unless already done for the
# same version and hash.
extract_deb() {
  local pkg=$1 dest="$REF_DIR/$1" want tmp
  want="${VER[$pkg]} ${SHA[$pkg]}"
  if [[ -f $dest/$STAMP_NAME ]] && [[ "$(<"$dest/$STAMP_NAME")" == "$want" ]]; then
    return 0
  fi
  log "extracting $pkg ${VER[$pkg]} into third_party/reference/$pkg/"
  tmp=$(mktemp -d "$REF_DIR/.extract.XXXXXX")
  TMP_PATHS+=("$tmp")
  dpkg-deb -x "$DEB" "$tmp" || die "dpkg-deb -x $DEB failed"
  chmod 0755 "$tmp"
  printf '%s\n' "$want" >"$tmp/$STAMP_NAME"
  rm -rf -- "$dest"
  mv -- "$tmp" "$dest"
}

# First existing match of the globs "${@:2}" inside $REF_DIR/$1, repo-relative.
key_file() {
  local pkg=$1 g m
  shift
  for g in "$@"; do
    m=$(compgen -G "$REF_DIR/$pkg/$g" | sort -V | tail -n1) || true
    if [[ -n $m && -f $m ]]; then
      printf '%s\n' "${m#"$REPO_ROOT"/}"
      return 0
    fi
  done
  return 1
}

MANIFEST_LINES=()
CURRENT_PKGS=()

# One pass over ARTIFACTS: at most two apt-cache calls (apt-cache is slow on
# hosts that disable apt's binary cache), then download/verify/extract.
# Returns 2 if a download failed.
artifacts_pass() {
  local entry role spec pkg globs key rc unsigned
  local -a direct=() metas=() resolved=()
  local -A target=()
  MANIFEST_LINES=()
  CURRENT_PKGS=()
  for entry in "${ARTIFACTS[@]}"; do
    read -r role spec globs <<<"$entry"
    if [[ $spec == meta:* ]]; then metas+=("${spec#meta:}"); else direct+=("$spec"); fi
  done
  apt_info "${metas[@]}" "${direct[@]}"
  for spec in "${metas[@]}"; do
    target[$spec]=$(meta_target "$spec")
    resolved+=("${target[$spec]}")
  done
  ((${#resolved[@]} == 0)) || apt_info "${resolved[@]}"

  for entry in "${ARTIFACTS[@]}"; do
    read -r role spec globs <<<"$entry"
    if [[ $spec == meta:* ]]; then pkg=${target[${spec#meta:}]}; else pkg=$spec; fi
    rc=0
    fetch_deb "$pkg" || rc=$?
    ((rc == 0)) || return "$rc"
    extract_deb "$pkg"
    CURRENT_PKGS+=("$pkg")
    key=""
    # shellcheck disable=SC2086  # globs is a list of glob patterns
    if ! key=$(key_file "$pkg" $globs) && [[ $role == kernel ]]; then
      # The signed kernel package may only wrap the -unsigned one; then the
      # image lives there.
      unsigned="$pkg-unsigned"
      MANIFEST_LINES+=("$role-wrapper $pkg ${VER[$pkg]} ${SHA[$pkg]} ${DEB#"$REPO_ROOT"/} -")
      log "$pkg has no kernel image; using $unsigned"
      apt_info "$unsigned"
      fetch_deb "$unsigned" || rc=$?
      ((rc == 0)) || return "$rc"
      extract_deb "$unsigned"
      CURRENT_PKGS+=("$unsigned")
      pkg=$unsigned
      # shellcheck disable=SC2086
      key=$(key_file "$pkg" $globs) || true
    fi
    [[ -n $key ]] ||
      die "$pkg ${VER[$pkg]} contains none of: $globs (looked in third_party/reference/$pkg/)"
    MANIFEST_LINES+=("$role $pkg ${VER[$pkg]} ${SHA[$pkg]} ${DEB#"$REPO_ROOT"/} $key")
  done
  return 0
}

# Fingerprint of everything that decides which versions apt-cache reports:
# the artifact list, architectures, package lists, pinning and sources.
apt_state() {
  {
    printf '%s\n' "$ARCH" "${ARTIFACTS[@]}"
    dpkg --print-foreign-architectures
    stat -c '%n %s %Y' -- "$LISTS_DIR"/*Release "$LISTS_DIR"/*_Packages* \
      /etc/apt/preferences /etc/apt/preferences.d/* "${SOURCE_FILES[@]}" \
      2>/dev/null || true
  } | sha256sum | cut -d' ' -f1
}

# Fast path: if the apt state is the one recorded when the manifest was
# written, the manifest's versions and SHA256 values are exactly what
# apt-cache would report now, so only the files are checked (deb hash, stamp,
# key file). Returns 1 when the slow path is needed.
artifacts_up_to_date() {
  local state=$1 role pkg ver sha deb key actual
  [[ -f $MANIFEST && -f $APT_STATE_FILE ]] || return 1
  [[ "$(<"$APT_STATE_FILE")" == "$state" ]] || return 1
  while read -r role pkg ver sha deb key; do
    [[ -z $role || $role == \#* ]] && continue
    [[ -n $key && -f $REPO_ROOT/$deb ]] || return 1
    [[ -f $REF_DIR/$pkg/$STAMP_NAME ]] || return 1
    [[ "$(<"$REF_DIR/$pkg/$STAMP_NAME")" == "$ver $sha" ]] || return 1
    [[ $key == - || -f $REPO_ROOT/$key ]] || return 1
    actual=$(sha256sum -- "$REPO_ROOT/$deb")
    actual=${actual%% *}
    if [[ $actual != "$sha" ]]; then
      rm -f -- "$REPO_ROOT/$deb"
      die "SHA256 MISMATCH for $pkg:$ARCH $ver: $deb has $actual but the apt index says $sha; the file was deleted. Rerun 'sdk/tools/setup.sh artifacts' to download it again."
    fi
  done <"$MANIFEST"
  return 0
}

ensure_artifacts() {
  ensure_sources
  check_repo_root
  mkdir -p "$DEBS_DIR" "$REF_DIR"

  # Serialise concurrent runs on the cache.
  local lock="$REPO_ROOT/third_party/.setup.lock"
  [[ -e $lock ]] || : 2>/dev/null >"$lock" || true
  if command -v flock >/dev/null 2>&1 && { exec 9<"$lock"; } 2>/dev/null; then
    if ! flock -n 9; then
      log "waiting for another sdk/tools/setup.sh run to finish"
      flock 9
    fi
  fi

  local state
  state=$(apt_state)
  artifacts_up_to_date "$state" && return 0
  rm -f -- "$APT_STATE_FILE"

  local rc=0
  artifacts_pass || rc=$?
  if ((rc == 2)); then
    ((APT_UPDATED)) && die "apt-get download failed (see above); check network access to the Debian mirror"
    log "download failed; refreshing the package lists and retrying"
    apt_update
    VER=() SHA=() SIZE=() DEPS=()
    rc=0
    artifacts_pass || rc=$?
    ((rc == 0)) || die "apt-get download failed (see above); check network access to the Debian mirror"
    state=$(apt_state)
  fi

  # Remove extracted trees of packages that are no longer current (e.g. an
  # older kernel ABI); only trees this script created (they carry a stamp).
  local d name keep p
  for d in "$REF_DIR"/*/; do
    d=${d%/}
    [[ -f $d/$STAMP_NAME ]] || continue
    name=${d##*/}
    keep=0
    for p in "${CURRENT_PKGS[@]}"; do [[ $p == "$name" ]] && keep=1; done
    if ((!keep)); then
      log "removing stale third_party/reference/$name/"
      rm -rf -- "$d"
    fi
  done

  local manifest
  manifest="# Reference $ARCH Debian packages, generated by sdk/tools/setup.sh artifacts.
# Paths are relative to the repository root. One entry per line:
# role package version sha256 deb key-file
$(printf '%s\n' "${MANIFEST_LINES[@]}")"
  if [[ ! -f $MANIFEST ]] || [[ "$(<"$MANIFEST")" != "$manifest" ]]; then
    log "writing third_party/reference/manifest.txt"
    printf '%s\n' "$manifest" >"$MANIFEST.tmp"
    mv -f -- "$MANIFEST.tmp" "$MANIFEST"
  fi
  printf '%s\n' "$state" >"$APT_STATE_FILE"
}

# -------------------------------------------------------------------- main --

usage() {
  cat >&2 <<'EOF'
usage: sdk/tools/setup.sh COMMAND...
  packages   install the required Debian packages
  sources    ensure bookworm deb-src entries and the arm64 architecture
  artifacts  download, verify and extract the reference arm64 packages
             into third_party/ (implies sources)
  all        packages, sources, artifacts
EOF
}

main() {
  (($# > 0)) || { usage; exit 2; }
  local cmd
  for cmd in "$@"; do
    case $cmd in
      packages | sources | artifacts | all) ;;
      -h | --help | help) usage; exit 0 ;;
      *) usage; die "unknown command '$cmd'" ;;
    esac
  done
  for cmd in "$@"; do
    case $cmd in
      packages) ensure_packages ;;
      sources) ensure_sources ;;
      artifacts) ensure_artifacts ;;
      all) ensure_packages; ensure_sources; ensure_artifacts ;;
    esac
  done
}

main "$@"
