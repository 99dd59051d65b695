#!/bin/sh
# A general stream processor as a relay in hazardwire-bench's peer scenario with
# several partners (-peer-partners P): the Benthos of configs/bench/benthos.yaml
# whose output is a fan_out broker with one http_client for each of
# HW_BENCH_PARTNERS. BENTHOS names the binary (default: found on PATH). Run it as
#
#   hazardwire-bench -scenarios peer -peer-alerts 1000 -peer-partners 20 \
#     -peer "benthos=exec $PWD/configs/bench/benthos-fanout.sh"
set -eu
here=$(cd "$(dirname "$0")" && pwd)
config="$HW_BENCH_DIR/benthos.yaml"
{
  sed -n '/^output:/q;p' "$here/benthos.yaml"
  echo "output:"
  echo "  broker:"
  echo "    pattern: fan_out"
  echo "    outputs:"
  for url in $HW_BENCH_PARTNERS; do
    cat <<YAML
      - http_client:
          url: "$url"
          verb: POST
          headers:
            Content-Type: application/json
          max_in_flight: \${HW_BENCH_CONCURRENCY}
YAML
  done
} > "$config"
exec "${BENTHOS:-benthos}" -c "$config"
