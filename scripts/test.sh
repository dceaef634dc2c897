#!/usr/bin/env bash
# The project's test command (README): installs the build dependency, then runs every unit
# and integration test on a release build (the integration tests run the real binary on the
# captures in testdata/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
cargo test --release
