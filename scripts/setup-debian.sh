#!/usr/bin/env bash
# Installs what building shadowdesk needs on Debian/Ubuntu beyond cargo: libpcap's headers.
# Safe to run again; does nothing when everything is there.
set -euo pipefail
need=()
dpkg-query -W -f='${Status}' libpcap-dev 2>/dev/null | grep -q "ok installed" || need+=(libpcap-dev)
command -v cc >/dev/null || need+=(gcc)
if ((${#need[@]})); then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "setup: installing ${need[*]}" >&2
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
