#!/usr/bin/env bash
# Validates the files users deploy with: docker-compose.yml (Debian's docker-compose, no engine
# needed for `config`) and, when present, the Prometheus rules (promtool from Debian's prometheus).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt() {
  local pkgs=("$@")
  if [ "$(id -u)" != 0 ]; then echo "validate-deploy: need root to apt-get install ${pkgs[*]}" >&2; return 1; fi
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
}

command -v docker-compose >/dev/null 2>&1 || need_apt docker-compose
docker-compose -f docker-compose.yml config -q
echo "docker-compose.yml: valid"

if compgen -G "deploy/prometheus/*rules*.yml" >/dev/null; then
  command -v promtool >/dev/null 2>&1 || need_apt prometheus
  promtool check rules deploy/prometheus/*rules*.yml
  promtool check config deploy/prometheus/prometheus.yml
fi
