#!/usr/bin/env bash
# Builds the solution and runs every test project; ends with one line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet build Bpftime.Build.sln -c Release -nologo -v quiet -clp:ErrorsOnly || exit 1
dotnet test Bpftime.Build.sln -c Release --no-build -nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# Each test project prints "Passed!  - Failed: F, Passed: P, Skipped: S, Total: T" (or "Failed!  - ...").
awk '/(Passed|Failed)! +- +Failed:/ {
        gsub(",", ""); for (i = 1; i <= NF; i++) {
          if ($i == "Failed:") f += $(i + 1); if ($i == "Passed:") p += $(i + 1); if ($i == "Skipped:") s += $(i + 1) } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
