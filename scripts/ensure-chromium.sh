#!/usr/bin/env bash
# Make sure the machine's Chromium is there for the dashboard's browser tests
# (tests/dashboard, driven by Playwright with executable_path=/usr/bin/chromium).
# Installs Debian's `chromium` and `chromium-driver` when missing; does nothing otherwise.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: /usr/bin/chromium is missing and apt-get is not available;" >&2
    echo "install Chromium yourself to run the browser tests (pytest -m browser)." >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "ensure-chromium: need root (or sudo) to install chromium" >&2
        exit 1
    fi
fi

echo "ensure-chromium: installing chromium and chromium-driver" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q chromium chromium-driver
test -x /usr/bin/chromium
