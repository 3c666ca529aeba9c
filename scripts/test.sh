#!/usr/bin/env bash
# Set up Nebula with its test dependencies in .venv and run the whole test suite.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
bootstrap_nebula "test"

# The web page tests drive Debian's Chromium through Playwright; Playwright's own browser
# downloads are not used. Without Chromium those tests are skipped outside CI and fail in CI.
CHROMIUM=/usr/bin/chromium
if [[ ! -x "$CHROMIUM" ]]; then
    if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing Debian's chromium package for the web page tests..."
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
    else
        echo "note: $CHROMIUM is missing, so the browser tests will be skipped (outside CI);" \
            "install it with: sudo apt-get install chromium" >&2
    fi
fi

# tests/test_deploy_config.py checks deploy/nginx.conf with `nginx -t`. Without nginx that
# test is skipped with a message saying so. Container images usually carry a policy-rc.d
# that keeps the package's service from starting. On a full Debian host, installing the
# package also starts nginx on port 80.
if ! command -v nginx >/dev/null 2>&1 && [[ ! -x /usr/sbin/nginx ]]; then
    if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing Debian's nginx package for the deployment configuration test..."
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx
    else
        echo "note: nginx is missing, so deploy/nginx.conf will not be checked with nginx -t;" \
            "install it with: sudo apt-get install nginx" >&2
    fi
fi

exec .venv/bin/python -m pytest "$@"
