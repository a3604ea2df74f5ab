#!/usr/bin/env bash
# Rate-limit accuracy of the ftp client against curl --limit-rate, on real
# servers on loopback (vsftpd plain, pure-ftpd explicit TLS), with strace
# counts that show the paced plain transfers still use splice (downloads)
# and sendfile (uploads). It prints a table and writes it, with the
# machine's description and the exact commands, to bench/RATELIMIT.md.
# Run by hand as root (the servers switch to a local user); not part of CI.
#
# It takes about 2 servers × 3 rates × 2 directions × (5 s ours + 5 s curl)
# ≈ 2–3 minutes, plus four 5 s strace runs and the SHA-256 checks; at the
# peak it holds about 1.5 GiB in /dev/shm (the 100 MiB/s file is 500 MiB).
#
#   bash bench/ratelimit.sh [-seconds 5] [-rates 1,10,100] [-out bench/RATELIMIT.md]
#
# It installs what it needs (idempotent): the servers with
# .ci/install-servers.sh, then curl and strace with apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" != 0 ]; then
  echo "bench/ratelimit.sh: must run as root (the FTP servers switch to a local user)" >&2
  exit 1
fi

echo "== servers (.ci/install-servers.sh)"
bash .ci/install-servers.sh

echo "== curl and strace"
need=()
for pkg in curl strace; do
  command -v "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "== building"
bin=$(mktemp -d /tmp/ftp-ratelimit-bin-XXXXXX)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/ratelimit" ./bench/ratelimit

echo "== running (progress on stderr; the table follows)"
timeout 3600 "$bin/ratelimit" "$@"
