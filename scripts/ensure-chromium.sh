#!/usr/bin/env bash
# Make sure headless Chromium and its driver are here for the browser test
# (tests/web/test_web_browser.py): Debian's chromium + chromium-driver.
# Quick and silent when both are already installed; installs them otherwise.
# In CI (CI=true) a browser that cannot be had is a failure, never a skip.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
browser() { have chromium || have chromium-browser; }

if browser && have chromedriver; then exit 0; fi

if ! have apt-get; then
  echo "chromium/chromedriver are missing and there is no apt-get: install Chromium and its driver yourself." >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "(the browser test will be skipped)" >&2
  exit 0
fi
echo "Installing chromium and chromium-driver (Debian packages) for the browser test." >&2
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
if ! { $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 \
       || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }; }; then
  echo "Could not install chromium/chromium-driver." >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "(the browser test will be skipped)" >&2
  exit 0
fi
browser && have chromedriver || { echo "chromium or chromedriver still missing after install" >&2; exit 1; }
