#!/usr/bin/env bash
# Runs every test project of the solution, as README says. On a fresh machine it first installs
# what the tests need and the repository cannot carry:
#   - PostgreSQL server binaries (Debian package "postgresql"); the tests start their own
#     throwaway cluster on a free loopback port, so no server needs to be running;
#   - the npm verifier libraries (standardwebhooks, svix) the interoperability tests run under Node.js;
#   - Chromium (Debian packages "chromium" and "chromium-driver"), which the portal's browser tests drive
#     through Playwright (Playwright's own browser download is not used).
# Extra arguments go to `dotnet test` (for example: --filter "FullyQualifiedName~Signing").
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -z "${WEBHOOKS_TEST_POSTGRES:-}" ]; then
  echo "== PostgreSQL server binaries not found: installing the Debian package 'postgresql'"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "== Chromium not found: installing the Debian packages 'chromium' and 'chromium-driver'"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if [ -f tests/verifiers/package.json ]; then
  if ! command -v node >/dev/null 2>&1; then
    echo "== Node.js not found: installing the Debian packages 'nodejs' and 'npm'"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nodejs npm >/dev/null
  fi
  (cd tests/verifiers && npm ci --no-audit --no-fund --loglevel=error)
fi

rm -rf artifacts/test-results
dotnet test Webhooks.Core.sln -c Release --logger trx --results-directory artifacts/test-results "$@"
