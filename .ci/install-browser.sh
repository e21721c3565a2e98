#!/usr/bin/env bash
# Chromium (and a small CJK font, so the explorer's Chinese labels render) for
# the explorer's browser test, tests/app/test_explorer.py. Debian/Ubuntu, as
# root or with sudo. Idempotent and quiet: does nothing when both are there.
# Playwright drives this browser (/usr/bin/chromium); `playwright install` is
# not used.
set -euo pipefail

packages=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || packages+=(chromium)
fc-list 2>/dev/null | grep -qi "wqy-microhei" || packages+=(fonts-wqy-microhei)
[ "${#packages[@]}" -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-browser: need root or sudo to install ${packages[*]}" >&2; exit 1; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq "${packages[@]}" >/dev/null
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || { echo "install-browser: chromium did not install" >&2; exit 1; }
