#!/bin/sh
# Alertmanager's webhook path as a relay in hazardwire-bench's peer scenario
# (docs/performance.md, "Beside other relays"): Benthos polls the bench's feed
# and POSTs each alert to Alertmanager (benthos-alertmanager.yaml); Alertmanager
# groups the alerts by VTEC event, so each is its own group, and sends each
# group to the bench's partner as a webhook (to each partner, with
# -peer-partners). ALERTMANAGER and BENTHOS name the
# binaries (default: found on PATH). Run it as
#
#   hazardwire-bench -scenarios peer -peer "alertmanager=exec $PWD/configs/bench/alertmanager-path.sh"
set -eu
here=$(cd "$(dirname "$0")" && pwd)
{
  cat <<CONFIG
route:
  receiver: partners
  group_by: [vtec]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 24h
receivers:
  - name: partners
    webhook_configs:
CONFIG
  for url in $HW_BENCH_PARTNERS; do # one, or -peer-partners of them
    printf '      - url: "%s"\n        send_resolved: false\n' "$url"
  done
} > "$HW_BENCH_DIR/alertmanager.yml"
# Alertmanager runs in a subshell that, when it stops (a bad binary, its port
# taken), stops Benthos too, so that the bench reports the relay gone instead
# of waiting out its timeout. After the exec below, $$ is Benthos.
(
  "${ALERTMANAGER:-alertmanager}" --config.file="$HW_BENCH_DIR/alertmanager.yml" \
    --storage.path="$HW_BENCH_DIR/alertmanager" --web.listen-address="127.0.0.1:$HW_BENCH_PORT" \
    --cluster.listen-address="" --log.level=warn || :  # (set -e would end the subshell here)
  kill "$$"
) &
HW_BENCH_ALERTMANAGER="http://127.0.0.1:$HW_BENCH_PORT" exec "${BENTHOS:-benthos}" -c "$here/benthos-alertmanager.yaml"
