#!/usr/bin/env bash
# Creates (once) a private venv with JupyterLab's collaboration server, the benchmark's baseline.
# Idempotent: does nothing when the venv already has jupyter-collaboration.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="$ROOT/.tools/jupyter-collab-venv"
if [ -x "$VENV/bin/jupyter" ] && "$VENV/bin/python" -c 'import jupyter_collaboration' 2>/dev/null; then
  echo "$VENV"
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check 'jupyter-collaboration>=3,<5' >&2
echo "$VENV"
