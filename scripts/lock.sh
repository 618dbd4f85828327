#!/usr/bin/env bash
# Re-resolve every dependency to its newest allowed version and write
# constraints.txt (the lock file). Review the diff before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3.11 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --upgrade "pip>=24"
editables=()
for project in libs/*/pyproject.toml tools/*/pyproject.toml services/*/pyproject.toml clients/*/pyproject.toml; do
  editables+=(-e "$(dirname "$project")")
done
"$tmp/venv/bin/python" -m pip install --quiet -r requirements-dev.txt "${editables[@]}"
"$tmp/venv/bin/python" -m pip install --quiet --no-deps -r requirements-nodeps.txt
{
  echo "# Lock file: exact versions of every dependency. Regenerate with \`make lock\`."
  # 2.13.0: the release whose CPU wheel development machines carry; any
  # service that needs torch installs it CPU-only or from its image.
  echo "torch==2.13.0"
  "$tmp/venv/bin/python" -m pip freeze --exclude-editable | grep -v '^torch=='
} > constraints.txt
echo "lock: wrote constraints.txt"
