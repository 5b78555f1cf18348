#!/usr/bin/env bash
# Installs (apt) and starts the services the integration tests use, idempotently: a service
# already listening is left alone. Sourced by .ci/run; safe to run by hand.
set -euo pipefail

apt_updated=0
need_pkg() { # need_pkg <command> <debian package>
  if ! command -v "$1" >/dev/null 2>&1; then
    if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # wait_port <port> <name>
  for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 1; done
  echo "services: $2 did not start listening on 127.0.0.1:$1" >&2
  return 1
}

start_mariadb() {
  port_open 3306 && return 0
  need_pkg mariadbd mariadb-server
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_port 3306 MariaDB
}

start_redis() {
  port_open 6379 && return 0
  need_pkg redis-server redis-server
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_port 6379 Redis
}

start_mosquitto() {
  need_pkg mosquitto_pub mosquitto-clients
  port_open 1883 && return 0
  need_pkg mosquitto mosquitto
  mosquitto -d -c /etc/mosquitto/mosquitto.conf
  wait_port 1883 Mosquitto
}

start_mariadb
start_redis
start_mosquitto
# The control-room UI is tested in a real browser (Playwright cannot download its own here).
need_pkg chromium chromium
# The root account must be reachable over TCP without a password (tests create databases).
mariadb -uroot -e "SELECT 1" >/dev/null
