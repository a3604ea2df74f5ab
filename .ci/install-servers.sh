#!/usr/bin/env bash
# Installs the FTP servers of the interop suite (./interop) from Debian's
# packages. Idempotent; run as root (CI does).
#
# Debian's vsftpd, proftpd-core, pure-ftpd and inetutils-ftpd conflict
# (each provides ftp-server), so vsftpd is installed with apt-get and the
# others are fetched with `apt-get download` and unpacked with `dpkg -x`
# into $FTP_INTEROP_ROOT (default /opt/ftp-interop/<name>), where the suite
# finds them. Their runtime libraries come from apt-get, since dpkg -x
# pulls in no dependencies. The Python servers (pyftpdlib, Twisted, aioftp)
# are Debian's python3-* packages; socat runs inetutils ftpd per
# connection, under nss_wrapper. Debian's busybox has no ftpd, so busybox is
# built from Debian's source package (a deb-src entry is added for it) with
# a minimal config into $FTP_INTEROP_ROOT/busybox, and rebuilt only when the
# source version or the config changes. No server is left running, and no
# inetd or service is touched: the suite starts its own servers, in the
# foreground, from temporary config directories.
set -euo pipefail

root="${FTP_INTEROP_ROOT:-/opt/ftp-interop}"
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" != 0 ]; then
  echo "install-servers.sh: must run as root" >&2
  exit 1
fi

# busybox's source comes from deb-src entries that mirror the deb.debian.org
# entries, in a file of our own, unless the machine has deb-src entries of
# its own (then ours would only repeat them).
src_list=/etc/apt/sources.list.d/ftp-interop-src.sources
other_src=$(grep -rlsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/ |
  grep -vxF "$src_list" || true)
if [ -n "$other_src" ]; then
  rm -f "$src_list"
else
  new_src=$(mktemp)
  {
    echo "# Written by .ci/install-servers.sh: Debian's sources, for busybox (ftpd)."
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      # deb822 stanzas: the deb.debian.org ones, as deb-src.
      awk -v RS= -v ORS='\n\n' '/deb\.debian\.org/' /etc/apt/sources.list.d/debian.sources |
        grep -v '^#' | sed -E 's/^Types:.*/Types: deb-src/'
    elif [ -f /etc/apt/sources.list ]; then
      # One-line entries, their [options] dropped.
      grep -E '^deb +(\[[^]]*\] +)?[^ ]*deb\.debian\.org' /etc/apt/sources.list |
        sed -E 's/^deb +(\[[^]]*\] +)?//' |
        awk '{ printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:", $1, $2; for (i = 3; i <= NF; i++) printf " %s", $i; printf "\n\n" }'
    fi
  } >"$new_src"
  if ! grep -q '^URIs:' "$new_src"; then
    echo "install-servers.sh: found no deb.debian.org entry to mirror as deb-src" >&2
    rm -f "$new_src"
    exit 1
  fi
  if ! cmp -s "$new_src" "$src_list"; then
    install -m 644 "$new_src" "$src_list"
    echo "deb-src: wrote $src_list"
  fi
  rm -f "$new_src"
fi

apt-get update -qq

# Keep the packaged vsftpd from being started as a service on port 21
# during its installation (Docker images ship this file already).
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  made_policy=1
fi
cleanup() { if [ -n "$made_policy" ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

# vsftpd normally; openssl hashes the passwords (SHA-512 crypt); then the
# libraries of the unpacked proftpd (core and mod_tls), pure-ftpd and
# inetutils ftpd (libwrap0), and libpam-modules for pam_unix, which the
# suite's PAM service uses for vsftpd; the Python servers (python3-openssl
# is pyftpdlib's TLS); socat and nss_wrapper for inetutils ftpd; and what
# building busybox takes (apt-get source needs dpkg-dev).
apt-get install -y -qq --no-install-recommends \
  vsftpd openssl passwd libpam-modules libpam-runtime \
  libacl1 libcap2 libcrypt1 libhiredis0.14 libidn2-0 libmemcached11 \
  libmemcachedutil2 libncursesw6 libpam0g libpcre2-8-0 libpcre2-posix3 \
  libssl3 libtinfo6 zlib1g libsodium23 libwrap0 \
  python3 python3-pyftpdlib python3-openssl python3-twisted python3-aioftp \
  socat libnss-wrapper \
  dpkg-dev gcc make libc6-dev bzip2 xz-utils >/dev/null

# A packaged vsftpd started anyway (a machine with systemd) would hold port
# 21; the suite uses its own ports, but nothing should stay up.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now vsftpd >/dev/null 2>&1 || true
fi
service vsftpd stop >/dev/null 2>&1 || true

# proftpd-core holds the server, proftpd-mod-crypto holds mod_tls.so;
# pure-ftpd holds pure-ftpd and pure-pw.
unpack() { # name packages...
  local name=$1 dir="$root/$1" stamp
  shift
  local tmp
  tmp=$(mktemp -d)
  chmod 755 "$tmp" # lets apt-get download write as _apt, without a warning
  if ! (cd "$tmp" && apt-get download -qq "$@" >"$tmp/download.log" 2>&1); then
    echo "install-servers.sh: apt-get download $* failed:" >&2
    cat "$tmp/download.log" >&2
    rm -rf "$tmp"
    exit 1
  fi
  local debs=("$tmp"/*.deb)
  stamp=$(cd "$tmp" && ls -1 *.deb | sort | tr '\n' ' ')
  if [ -f "$dir/.debs" ] && [ "$(cat "$dir/.debs")" = "$stamp" ]; then
    echo "$name: up to date in $dir ($stamp)"
  else
    rm -rf "$dir"
    mkdir -p "$dir"
    for deb in "${debs[@]}"; do dpkg -x "$deb" "$dir"; done
    echo "$stamp" >"$dir/.debs"
    echo "$name: unpacked $stamp into $dir"
  fi
  rm -rf "$tmp"
}

mkdir -p "$root"
chmod 755 "$root"
unpack proftpd proftpd-core proftpd-mod-crypto
unpack pure-ftpd pure-ftpd
unpack inetutils inetutils-ftpd

# busybox's config: nothing but ftpd (uploads, logins checked against
# /etc/shadow with busybox's own SHA-512 crypt), the ls it runs for LIST,
# and tcpsvd to run it per connection. Every other option is off
# (allnoconfig), which keeps the build short.
busybox_config() {
  cat <<'CONFIG'
CONFIG_BUSYBOX=y
CONFIG_SHOW_USAGE=y
CONFIG_FEATURE_VERBOSE_USAGE=y
CONFIG_LFS=y
CONFIG_FEATURE_IPV6=y
CONFIG_FEATURE_SHADOWPASSWDS=y
CONFIG_USE_BB_CRYPT=y
CONFIG_USE_BB_CRYPT_SHA=y
CONFIG_FTPD=y
CONFIG_FEATURE_FTPD_WRITE=y
CONFIG_FEATURE_FTPD_ACCEPT_BROKEN_LIST=y
CONFIG_FEATURE_FTPD_AUTHENTICATION=y
CONFIG_TCPSVD=y
CONFIG_LS=y
CONFIG_FEATURE_LS_FILETYPES=y
CONFIG_FEATURE_LS_FOLLOWLINKS=y
CONFIG_FEATURE_LS_SORTFILES=y
CONFIG_FEATURE_LS_TIMESTAMPS=y
CONFIG_FEATURE_LS_USERNAME=y
# CONFIG_SH_IS_ASH is not set
CONFIG_SH_IS_NONE=y
# CONFIG_SHELL_ASH is not set
CONFIG
}

# build_busybox builds $root/busybox/busybox from `apt-get source busybox`,
# unless the stamp says it was built from the same source version with the
# same config.
build_busybox() {
  local dir="$root/busybox" dsc want tmp src line name
  # The .dsc's name, URL-decoded: the source version.
  dsc=$(apt-get source --print-uris -qq busybox 2>/dev/null | grep -o "busybox_[^' ]*\.dsc" | head -1 |
    sed -e 's/%2[bB]/+/g' -e 's/%3[aA]/:/g' || true)
  if [ -z "$dsc" ]; then
    echo "install-servers.sh: apt-get source finds no busybox (no deb-src entry?)" >&2
    exit 1
  fi
  want="$dsc config-$(busybox_config | sha256sum | cut -c1-16)"
  if [ -x "$dir/busybox" ] && [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$want" ]; then
    echo "busybox: up to date in $dir ($want)"
    return
  fi
  tmp=$(mktemp -d)
  chmod 755 "$tmp" # lets apt-get source write as _apt, without a warning
  if ! (cd "$tmp" && apt-get source -qq busybox) >"$tmp/source.log" 2>&1; then
    echo "install-servers.sh: apt-get source busybox failed:" >&2
    cat "$tmp/source.log" >&2
    rm -rf "$tmp"
    exit 1
  fi
  src=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d -name 'busybox-*' | head -1)
  if ! (
    set -e
    cd "$src"
    make allnoconfig
    busybox_config | while IFS= read -r line; do
      name=${line#\# }
      name=${name%%[= ]*}
      sed -i -e "/^$name=/d" -e "/^# $name is not set\$/d" .config
      echo "$line" >>.config
    done
    # Options the ones above bring in take their defaults.
    (yes '' || true) | make oldconfig
    make -j2
  ) >"$tmp/build.log" 2>&1; then
    echo "install-servers.sh: building busybox failed:" >&2
    tail -40 "$tmp/build.log" >&2
    rm -rf "$tmp"
    exit 1
  fi
  for applet in ftpd tcpsvd; do
    if ! "$src/busybox" "$applet" --help 2>&1 | grep -q "Usage: $applet"; then
      echo "install-servers.sh: the busybox built lacks $applet" >&2
      rm -rf "$tmp"
      exit 1
    fi
  done
  rm -rf "$dir"
  mkdir -p "$dir"
  install -m 755 "$src/busybox" "$dir/busybox"
  install -m 644 "$src/.config" "$dir/config"
  echo "$want" >"$dir/.stamp"
  echo "busybox: built $dsc into $dir"
  rm -rf "$tmp"
}
build_busybox

# Every binary must find its libraries.
missing=
for bin in /usr/sbin/vsftpd "$root/proftpd/usr/sbin/proftpd" \
  "$root/proftpd/usr/lib/proftpd/mod_tls.so" \
  "$root/pure-ftpd/usr/sbin/pure-ftpd" "$root/pure-ftpd/usr/bin/pure-pw" \
  "$root/inetutils/usr/sbin/ftpd" "$root/busybox/busybox"; do
  if ldd "$bin" | grep -q 'not found'; then
    echo "install-servers.sh: $bin misses libraries:" >&2
    ldd "$bin" | grep 'not found' >&2
    missing=1
  fi
done
[ -z "$missing" ] || exit 1

echo "installed:"
echo "  vsftpd    $(dpkg-query -W -f='${Version}' vsftpd)  /usr/sbin/vsftpd"
echo "  proftpd   $("$root/proftpd/usr/sbin/proftpd" -v 2>&1 | head -1)  $root/proftpd/usr/sbin/proftpd (+ mod_tls.so)"
echo "  pure-ftpd $("$root/pure-ftpd/usr/sbin/pure-ftpd" --help 2>&1 | head -1)  $root/pure-ftpd/usr/sbin/pure-ftpd"
echo "  inetutils $("$root/inetutils/usr/sbin/ftpd" --version | head -1)  $root/inetutils/usr/sbin/ftpd (run by socat $(socat -V | sed -n 's/^socat version \([^ ]*\).*/\1/p'), nss_wrapper $(dpkg-query -W -f='${Version}' libnss-wrapper))"
echo "  busybox   $("$root/busybox/busybox" | head -1 | cut -d' ' -f1-2) ($(cut -d' ' -f1 "$root/busybox/.stamp"))  $root/busybox/busybox (ftpd, tcpsvd)"
py() { /usr/bin/python3 -c "$1" 2>&1; }
echo "  pyftpdlib $(py 'import pyftpdlib; print(pyftpdlib.__ver__)')  (python3-pyftpdlib, python3-openssl $(py 'import OpenSSL; print(OpenSSL.__version__)'))"
echo "  twisted   $(py 'import twisted; print(twisted.__version__)')  (python3-twisted)"
echo "  aioftp    $(py 'import aioftp; print(aioftp.__version__)')  (python3-aioftp)"
echo "  python3   $(/usr/bin/python3 --version 2>&1 | cut -d' ' -f2)  /usr/bin/python3"
echo "  openssl   $(openssl version)"
