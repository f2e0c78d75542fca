#!/usr/bin/env bash
# Tests/run.sh: the project's whole test suite, as CI runs it (installs the Debian packages it needs first).
set -euo pipefail
cd "$(dirname "$0")/.."
./install.sh --deps-only
# A short fixed-seed run of every fuzz harness (about a minute), before the suite so its summary closes the log.
bash Tests/Fuzz/run.sh 20
# Release build with testable imports: the numeric code is far too slow unoptimised.
swift build -c release -Xswiftc -enable-testing
swift test -c release -Xswiftc -enable-testing --disable-swift-testing "$@"
