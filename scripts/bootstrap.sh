# Shared by serve.sh and test.sh: create .venv with Python 3.11+ and install Nebula into it.
# Usage: source scripts/bootstrap.sh EXTRAS   (EXTRAS: "" or "test")

set -euo pipefail

_find_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "error: Nebula needs Python 3.11 or newer; install it and run this script again" >&2
    return 1
}

bootstrap_nebula() {
    local extras="$1"
    local python
    python=$(_find_python)
    if [[ ! -x .venv/bin/python ]]; then
        "$python" -m venv .venv
    fi
    local stamp=".venv/.installed-${extras:-base}"
    # Reinstall only when the dependency list changed, so a second run starts at once.
    if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
        .venv/bin/python -m pip install --quiet --upgrade pip
        if [[ -n "$extras" ]]; then
            .venv/bin/python -m pip install --quiet -e ".[$extras]"
        else
            .venv/bin/python -m pip install --quiet -e .
        fi
        touch "$stamp"
    fi
}
