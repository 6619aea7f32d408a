#!/usr/bin/env bash
# Prints the path of a headless Chromium for the browser tests (playwright-core drives it), installing
# Debian's chromium-headless-shell when none is found and we may (root, as on CI). CHROMIUM_PATH overrides.
set -euo pipefail
for candidate in "${CHROMIUM_PATH:-}" /usr/bin/chromium-headless-shell /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    echo "$candidate"
    exit 0
  fi
done
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get > /dev/null; then
  echo "No Chromium found: apt-get install chromium-headless-shell (Debian), or set CHROMIUM_PATH" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends chromium-headless-shell >&2
echo /usr/bin/chromium-headless-shell
