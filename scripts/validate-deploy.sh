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

if [ -f deploy/prometheus/scylla-pg-cdc-rules.yml ]; then
  command -v promtool >/dev/null 2>&1 || need_apt prometheus
  promtool check rules deploy/prometheus/scylla-pg-cdc-rules.yml
  promtool test rules deploy/prometheus/rules-test.yml
  # prometheus.yml names the rules by their in-container path; check it against the repo's copy.
  tmp=$(mktemp -d)
  sed "s#/etc/prometheus/#$PWD/deploy/prometheus/#" deploy/prometheus/prometheus.yml > "$tmp/prometheus.yml"
  promtool check config "$tmp/prometheus.yml"
  rm -rf "$tmp"
fi
for f in deploy/grafana/dashboards/*.json; do
  [ -e "$f" ] || continue
  node -e 'const d=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); if(!Array.isArray(d.panels)||!d.panels.length) throw new Error(process.argv[1]+": no panels"); for (const p of d.panels) for (const t of p.targets||[]) if(!t.expr) throw new Error(process.argv[1]+": panel "+p.title+" has a target without expr"); console.log(process.argv[1]+": "+d.panels.length+" panels")' "$f"
done
