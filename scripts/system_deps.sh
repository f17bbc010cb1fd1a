#!/usr/bin/env bash
# Install Debian packages when root on Debian, else say what is missing: the test suite's by
# default, or the ones named on the command line (`make bench` names wrk and redis-server,
# `make run` libcairo2).
set -euo pipefail
if [ $# -gt 0 ]; then
  PACKAGES=("$@")
  purpose="what needs them"
else
  # nginx and redis-server: tests/test_nginx.py serves the app behind nginx; the job-queue tests
  # run `wallet worker` against a private redis-server.
  PACKAGES=(postgresql-15 fonts-ipaexfont-gothic poppler-utils chromium fonts-noto-cjk libcairo2
            nginx redis-server)
  purpose="the tests"
fi
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages (install them as root): ${missing[*]}; $purpose that need them will be skipped." >&2
fi
