#!/usr/bin/env bash
# The benchmark of the ftp client against curl, lftp and jlaffaye/ftp on real
# servers on loopback (vsftpd plain, pure-ftpd explicit TLS), with iperf3 and
# a sendfile-to-splice pair as references for the limit. It prints one table
# and writes it, with the machine's description and the exact commands, to
# bench/RESULTS.md. Run by hand as root (the servers switch to a local user);
# not part of CI. About 10 minutes on 2 cores; it needs about 4 GiB of
# /dev/shm.
#
#   bash bench/run.sh [driver flags]      e.g. -runs 7, -size 256 (MiB)
#
# It installs what it needs (idempotent): the servers with
# .ci/install-servers.sh, then curl, lftp, iperf3 and GNU time (for each
# client's peak RSS) with apt-get; it builds
# ftpc, bench/ftplib, bench/splice and the driver from this module, and
# ftpjl from bench/jlaffaye, a module of its own, so that the library does
# not depend on jlaffaye/ftp.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" != 0 ]; then
  echo "bench/run.sh: must run as root (the FTP servers switch to a local user)" >&2
  exit 1
fi

echo "== servers (.ci/install-servers.sh)"
bash .ci/install-servers.sh

echo "== clients and references: curl, lftp, iperf3, GNU time"
need=()
for pkg in curl lftp iperf3 time; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  # iperf3's package would ask whether to start a daemon: it must not.
  echo "iperf3 iperf3/start_daemon boolean false" | debconf-set-selections 2>/dev/null || true
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "== building"
bin=$(mktemp -d /tmp/ftpbench-bin-XXXXXX)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/ftpc" ./cmd/ftpc
go build -o "$bin/ftplib" ./bench/ftplib
go build -o "$bin/splice" ./bench/splice
go build -o "$bin/driver" ./bench/driver
(cd bench/jlaffaye && go build -o "$bin/ftpjl" .)

echo "== running (progress on stderr; the table follows)"
timeout 1800 "$bin/driver" -bin "$bin" -out bench/RESULTS.md "$@"
