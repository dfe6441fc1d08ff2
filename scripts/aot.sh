#!/usr/bin/env bash
# Publishes samples/Webhooks.Samples.Aot as a native AOT binary, fails on any trim or AOT warning
# (IL2xxx, IL3xxx) or any other warning, then runs the binary: it subscribes over MapWebhooks(),
# publishes an event, verifies the signed delivery and exits 0 (non-zero on a failed check or
# after its 60-second timeout).
# Native AOT links with the platform's C toolchain: clang or gcc (zlib comes with the runtime pack).
# On a machine with neither it first installs the Debian package 'clang'.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v clang >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
  echo "== No C toolchain (clang or gcc) for native AOT: installing the Debian package 'clang'"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq clang >/dev/null
fi

out=artifacts/aot
log=artifacts/aot-publish.log
rm -rf "$out"
mkdir -p artifacts

start=$(date +%s)
if ! dotnet publish samples/Webhooks.Samples.Aot -c Release -r linux-x64 -p:PublishAot=true -o "$out" -warnaserror -nologo >"$log" 2>&1; then
  grep -E ': (error|warning) ' "$log" | sort -u >&2 || tail -n 40 "$log" >&2
  echo "Native AOT publish failed (full log: $log)." >&2
  exit 1
fi
if grep -qE ': warning |IL[23][0-9]{3}' "$log"; then
  grep -E ': warning |IL[23][0-9]{3}' "$log" | sort -u >&2
  echo "Native AOT publish printed warnings (full log: $log)." >&2
  exit 1
fi
binary="$out/Webhooks.Samples.Aot"
echo "== Native AOT publish: $(( $(date +%s) - start )) s, no trim/AOT warnings, $(( $(stat -c %s "$binary") / 1024 / 1024 )) MiB binary"

start=$(date +%s%N)
rc=0
timeout 120 "$binary" || rc=$?
echo "== Native AOT sample: exit $rc in $(( ($(date +%s%N) - start) / 1000000 )) ms"
exit "$rc"
