#!/usr/bin/env bash
# Make sure a Redis answers at REDIS_URL (tests default: redis://127.0.0.1:6379/15).
# Starts a local redis-server when none answers, installing it first if missing.
# In CI (CI=true) a Redis that cannot be had is a failure, never a skip.
set -euo pipefail
url="${REDIS_URL:-redis://127.0.0.1:6379/15}"
hostport="${url#redis://}"; hostport="${hostport%%/*}"; hostport="${hostport##*@}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$host" ] && port=6379

ping() { (exec 3<>"/dev/tcp/$host/$port" && printf 'PING\r\n' >&3 && timeout 2 head -c 5 <&3 | grep -q PONG) 2>/dev/null; }

if ping; then exit 0; fi
if [ "$host" != "127.0.0.1" ] && [ "$host" != "localhost" ]; then
  echo "Redis at $url does not answer and is not local: start it, or unset REDIS_URL." >&2
  exit 1
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server is missing; installing it (Debian package redis-server)." >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq redis-server >/dev/null
fi
mkdir -p var
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
  --dir "$PWD/var" --logfile "$PWD/var/redis-test.log"
for _ in $(seq 1 50); do ping && exit 0; sleep 0.1; done
echo "Started redis-server on port $port but it does not answer; see var/redis-test.log." >&2
exit 1
