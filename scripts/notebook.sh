#!/usr/bin/env bash
# make notebook: install what is missing, then start a Jupyter Notebook
# server on notebooks/ with the GoNB kernel and print the URL to open.
#   PORT=8888 (the port), IP=127.0.0.1 (the address to listen on), SMOKE=1
#   (tiny sizes: MRGKIT_SMOKE=1).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3} GOMLX_NO_AUTO_INSTALL=1
PORT=${PORT:-8888}
IP=${IP:-127.0.0.1}
GOBIN_DIR="$(go env GOPATH | cut -d: -f1)/bin"
export PATH="$PATH:$GOBIN_DIR"

if ! bash scripts/install-notebook-tools.sh; then
  echo "make notebook: could not install the notebook tools (see above); then run make notebook again" >&2
  exit 1
fi
# The kernels Jupyter finds: kernels/<name>/kernel.json under its data paths.
if ! /usr/bin/python3 -c 'import os, sys; from jupyter_core.paths import jupyter_path
sys.exit(not any(os.path.isfile(os.path.join(p, "kernels", "gonb", "kernel.json")) for p in jupyter_path()))' 2>/dev/null; then
  echo "make notebook: the GoNB kernel is not registered with Jupyter: run \`$GOBIN_DIR/gonb --install --force_deps\` (GoNB comes with bash .ci/setup)" >&2
  exit 1
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "make notebook: port $PORT is in use (another Jupyter? \`jupyter notebook list\` shows them); pick another: make notebook PORT=8899" >&2
  exit 1
fi
[ "${SMOKE:-}" = 1 ] && export MRGKIT_SMOKE=1
TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
args=(--no-browser "--ip=$IP" "--port=$PORT" --port-retries=0 --notebook-dir=notebooks "--NotebookApp.token=$TOKEN")
[ "$(id -u)" = 0 ] && args+=(--allow-root)
host=$IP
[ "$IP" = 0.0.0.0 ] && host=127.0.0.1
cat <<MSG

  mrgkit notebooks: open   http://$host:$PORT/tree?token=$TOKEN
  (start with 01_data.ipynb; 02_train_teacher.ipynb trains with a live progress bar)
  Ctrl-C stops the server.${MRGKIT_SMOKE:+  Smoke mode: tiny sizes.}

MSG
exec jupyter notebook "${args[@]}"
