#!/usr/bin/env bash
# Installs the Debian packages the project needs when they are missing:
# PostgreSQL 15 (server binaries: initdb, pg_ctl, postgres) for the board's
# PostgreSQL test run. Quick and silent when everything is there.
set -euo pipefail
need=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "system-deps: missing ${need[*]} and not root; install them with apt-get" >&2; exit 1
  fi
else SUDO=""; fi
echo "system-deps: installing ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
