#!/usr/bin/env bash
# Installs the FTP servers of the interop suite (./interop) from Debian's
# packages. Idempotent; run as root (CI does).
#
# Debian's vsftpd, proftpd-core and pure-ftpd conflict (each provides
# ftp-server), so vsftpd is installed with apt-get and the other two are
# fetched with `apt-get download` and unpacked with `dpkg -x` into
# $FTP_INTEROP_ROOT (default /opt/ftp-interop/<name>), where the suite finds
# them. Their runtime libraries come from apt-get, since dpkg -x pulls in
# no dependencies. No server is left running: the suite starts its own, in
# the foreground, from temporary config directories.
set -euo pipefail

root="${FTP_INTEROP_ROOT:-/opt/ftp-interop}"
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" != 0 ]; then
  echo "install-servers.sh: must run as root" >&2
  exit 1
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

# vsftpd normally; openssl hashes the passwords (SHA-512 crypt); the rest are
# the libraries of the unpacked proftpd (core and mod_tls) and pure-ftpd, and
# libpam-modules for pam_unix, which the suite's PAM service uses for vsftpd.
apt-get install -y -qq --no-install-recommends \
  vsftpd openssl passwd libpam-modules libpam-runtime \
  libacl1 libcap2 libcrypt1 libhiredis0.14 libidn2-0 libmemcached11 \
  libmemcachedutil2 libncursesw6 libpam0g libpcre2-8-0 libpcre2-posix3 \
  libssl3 libtinfo6 zlib1g libsodium23 >/dev/null

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

# Every binary must find its libraries.
missing=
for bin in /usr/sbin/vsftpd "$root/proftpd/usr/sbin/proftpd" \
  "$root/proftpd/usr/lib/proftpd/mod_tls.so" \
  "$root/pure-ftpd/usr/sbin/pure-ftpd" "$root/pure-ftpd/usr/bin/pure-pw"; do
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
echo "  openssl   $(openssl version)"
