#!/usr/bin/env bash
# parc-agent collect vs fusioninventory-inventory: CPU, peak RSS, compressed
# inventory size, and their ratios. Figures go to docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v fusioninventory-inventory >/dev/null || [ ! -x /usr/bin/time ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fusioninventory-agent time >/dev/null
fi
cargo build --release -p parc-agent
exec python3 bench/agent_vs_fusioninventory.py target/release/parc-agent
