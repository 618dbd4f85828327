#!/usr/bin/env bash
# Build .venv from the lock file and check the system prerequisites.
# Called by `make setup`; safe to run again (pip skips what is installed).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
if ! command -v "$PYTHON" >/dev/null; then
  echo "setup: Python 3.11 not found (set PYTHON=/path/to/python3.11)" >&2
  exit 2
fi

if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ffmpeg (Debian package)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null
  else
    echo "setup: ffmpeg not found: install it (Debian/Ubuntu: sudo apt-get install ffmpeg)" >&2
    exit 2
  fi
fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  echo "setup: PostgreSQL server binaries not found: install them (Debian/Ubuntu: sudo apt-get install postgresql)" >&2
  exit 2
fi

if ! command -v kubectl >/dev/null; then
  # Only the offline checks of deploy/k8s need it (tests/unit/test_deploy_k8s.py).
  echo "setup: warning: kubectl not found: the Kubernetes manifest tests will fail (install kubectl 1.27+, which bundles kustomize)" >&2
fi

# Rebuild a venv that is half-made or from another Python.
if ! .venv/bin/python -c 'import sys, pip; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
  rm -rf .venv
  if ! "$PYTHON" -m venv .venv; then
    echo "setup: could not create .venv (Debian/Ubuntu: sudo apt-get install python3.11-venv)" >&2
    exit 2
  fi
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
editables=()
for project in libs/*/pyproject.toml tools/*/pyproject.toml services/*/pyproject.toml clients/*/pyproject.toml; do
  editables+=(-e "$(dirname "$project")")
done
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
  -c constraints.txt -r requirements-dev.txt "${editables[@]}"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
  -c constraints.txt -r requirements-nodeps.txt
echo "setup: .venv ready"
