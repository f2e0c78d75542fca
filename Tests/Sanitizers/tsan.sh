#!/usr/bin/env bash
# Tests/Sanitizers/tsan.sh [FILTER]: the threaded engine, trainer and CLI tests under ThreadSanitizer, in its own
# build folder (.build-tsan). Prints each report's first frame, counted. Not in CI: see README "Reliability"
# for what the reports are (TSan cannot see futex-based locks: Synchronization.Mutex, GLib's GMutex/GCond).
set -uo pipefail
cd "$(dirname "$0")/../.."
FILTER="${1:-StreamingTests|ForwardTests|FastPathTests|TrainerTests|ResizeTests|StreamingCLITests|UpscaleCLITests}"
swift build -c release --build-tests --sanitize=thread -Xswiftc -enable-testing --scratch-path .build-tsan || exit 1
swift test -c release --sanitize=thread -Xswiftc -enable-testing --scratch-path .build-tsan --skip-build \
  --disable-swift-testing --filter "$FILTER" > .build-tsan/tsan.log 2>&1
status=$?
grep -E "Executed .* tests" .build-tsan/tsan.log | tail -1
echo "ThreadSanitizer reports: $(grep -c 'WARNING: ThreadSanitizer' .build-tsan/tsan.log)"
grep -A3 "WARNING: ThreadSanitizer" .build-tsan/tsan.log | grep "#0" | sed -E 's/ \(.*//; s/^ *#0 //' | cut -c1-110 \
  | sort | uniq -c | sort -rn | head -20
exit $status
