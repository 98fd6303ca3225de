#!/usr/bin/env bash
# Installs the Debian packages Qt (widgets, offscreen rendering, QtWebEngine) needs on a
# workstation or CI machine. Only what is missing is installed; with nothing missing it does
# not touch apt at all. Needs root (or sudo) when something is missing.
set -euo pipefail

packages=(
  libegl1 libgl1 libopengl0 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6
  libdbus-1-3 libglib2.0-0 libnss3 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libxshmfence1
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libasound2 libpulse0 fonts-dejavu-core
  libpango-1.0-0 libpangoft2-1.0-0
  mosquitto
  # The shared control room's tests start a real PostgreSQL server of their own.
  postgresql
  # The directory sign-in tests start a real OpenLDAP server of their own.
  slapd ldap-utils
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
# The web assets are installed with npm; Debian's package only if no npm is on the PATH at all
# (a machine may have Node.js from elsewhere, which must not be replaced).
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-packages: missing ${missing[*]} and no apt-get here; install them by your" \
       "platform's means" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "system-packages: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
