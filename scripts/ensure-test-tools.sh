#!/usr/bin/env bash
# The Debian tools some tests drive, installed when missing (does nothing otherwise):
#   faketime  – a worker process with its own wall clock (tests/operations/test_worker_cluster.py)
#   iptables  – an address that never answers (tests/delivery/test_happy_eyeballs.py)
set -euo pipefail

missing=()
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
command -v iptables >/dev/null 2>&1 || missing+=(iptables)
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-test-tools: ${missing[*]} missing and apt-get is not available" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "ensure-test-tools: need root (or sudo) to install ${missing[*]}" >&2
        exit 1
    fi
fi
echo "ensure-test-tools: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q "${missing[@]}"
