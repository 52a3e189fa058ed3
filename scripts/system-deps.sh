#!/usr/bin/env bash
# Installs the Debian packages the project needs when they are missing:
# - libsodium23 (>= 1.0.18): ristretto255, the ballot group, through pysodium;
# - PostgreSQL 15 (server binaries: initdb, pg_ctl, postgres) for the board's
#   PostgreSQL test run;
# - chromium for the browser tests (Playwright drives /usr/bin/chromium).
# Quick and silent when everything is there.
set -euo pipefail
need=()
if ! ldconfig -p 2>/dev/null | grep -q 'libsodium\.so\.23'; then
  need+=(libsodium23)
fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
if ! [ -x /usr/bin/chromium ]; then
  need+=(chromium)
fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "system-deps: missing ${need[*]} and not root; install them with apt-get" >&2; exit 1
  fi
else SUDO=""; fi
echo "system-deps: installing ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
