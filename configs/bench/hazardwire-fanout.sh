#!/bin/sh
# hazardwire as a relay in hazardwire-bench's peer scenario with several partners
# (-peer-partners P): the daemon of configs/bench/hazardwire.yaml with one webhook
# exporter for each of HW_BENCH_PARTNERS. HAZARDWIRE names the binary (default:
# found on PATH). Run it as
#
#   hazardwire-bench -scenarios peer -peer-alerts 1000 -peer-partners 20 \
#     -peer "hazardwire=exec $PWD/configs/bench/hazardwire-fanout.sh"
set -eu
config="$HW_BENCH_DIR/hazardwire.yaml"
{
  cat <<YAML
bus:
  store_dir: $HW_BENCH_DIR/store
http:
  listen: 127.0.0.1:0
collectors:
  - name: nws
    kind: nws
    schedule: "@every 1s"
    url: \${HW_BENCH_FEED}
    user_agent: "hazardwire-bench (ops@example.org)"
    max_body: 256MiB
exporters:
YAML
  i=0
  for url in $HW_BENCH_PARTNERS; do
    i=$((i + 1))
    cat <<YAML
  - name: p$i
    kind: webhook
    url: "$url"
    secret: \${HW_BENCH_SECRET}
    concurrency: \${HW_BENCH_CONCURRENCY}
YAML
  done
} > "$config"
exec "${HAZARDWIRE:-hazardwire}" run --config "$config"
