#!/usr/bin/env bash
# The agent between reports: steady RSS, CPU time and wake-ups over an idle
# window, next to fusioninventory-agent's daemon on the same machine.
# Figures go to docs/benchmarks.md.
#
#   bench/agent-idle.sh            # IDLE=60 for a longer window (default 30 s)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v fusioninventory-agent >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fusioninventory-agent >/dev/null
fi
cargo build --release -q -p parc-agent -p parc-server
exec python3 bench/agent_idle.py target/release/parc-agent target/release/parc-server
