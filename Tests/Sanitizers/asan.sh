#!/usr/bin/env bash
# Tests/Sanitizers/asan.sh [FILTER]: the engine, image I/O, trainer and CLI tests under AddressSanitizer (release
# build with the project's -Ounchecked, so ASan, not Swift's bounds checks, catches a wild access), in its own
# build folder (.build-asan). The CLI tests run the ASan-built `srcnn`: a report there fails their one-line checks
# too. Leak checking is off here: XCTest and Foundation keep allocations LeakSanitizer reports from the test
# runner (the fuzz harnesses check our own parsing paths for leaks). The peak-memory test is skipped (ASan's
# shadow memory and quarantine are what it would measure). Prints the summary and every report's first lines;
# exits non-zero on a failure or any report.
# Not in CI (about 15 minutes on 2 cores); its last result is in the README, "Reliability".
set -uo pipefail
cd "$(dirname "$0")/../.."
FILTER="${1:-SRCNNTests|ImageIOTests|TrainingTests|CLITests}"
swift build -c release --build-tests --sanitize=address -Xswiftc -enable-testing --scratch-path .build-asan || exit 1
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0:halt_on_error=0}" \
swift test -c release --sanitize=address -Xswiftc -enable-testing --scratch-path .build-asan --skip-build \
  --disable-swift-testing --filter "$FILTER" --skip testPeakMemoryDoesNotGrowWithImageSize > .build-asan/asan.log 2>&1
status=$?
grep -E "Executed .* tests" .build-asan/asan.log | tail -1
reports=$(grep -c "ERROR: AddressSanitizer" .build-asan/asan.log)
echo "AddressSanitizer reports: $reports"
grep -A6 "ERROR: AddressSanitizer" .build-asan/asan.log | head -60
[ "$status" -eq 0 ] && [ "$reports" -eq 0 ]
