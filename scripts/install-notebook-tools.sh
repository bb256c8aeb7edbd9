#!/usr/bin/env bash
# Installs what running mrgkit's notebooks needs, if missing (idempotent):
# Debian's jupyter-notebook (the Jupyter server and classic UI), chromium and
# chromium-driver (the browser test, make notebooks-outputs), GoNB (the Go
# kernel, the version the pinned GoMLX requires), goimports, and the GoNB
# kernel registered with Jupyter. Without root, missing Debian packages are
# named with the command that installs them.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=${GOTOOLCHAIN:-go1.27.3}
GONB_VERSION=v0.11.5
GOIMPORTS_VERSION=v0.50.0 # golang.org/x/tools, as used by GoMLX
GOBIN_DIR="$(go env GOPATH | cut -d: -f1)/bin"
export PATH="$PATH:$GOBIN_DIR"

apt_pkgs=()
jupyter notebook --version >/dev/null 2>&1 || apt_pkgs+=(jupyter-notebook)
command -v chromium >/dev/null || apt_pkgs+=(chromium)
command -v chromedriver >/dev/null || apt_pkgs+=(chromium-driver)
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=900 "${apt_pkgs[@]}"
  else
    echo "missing Debian packages: ${apt_pkgs[*]}; install them with: sudo apt-get install ${apt_pkgs[*]}" >&2
    exit 1
  fi
fi

if [ "$(gonb -V 2>/dev/null | head -1)" != "$GONB_VERSION" ]; then
  # `go install gonb@version` outside a module fails here (the proxy refuses
  # the module's version list), so install it from a throw-away module.
  tmpmod="$(mktemp -d)"
  (cd "$tmpmod" && go mod init gonbtools >/dev/null 2>&1 &&
    go get "github.com/janpfeifer/gonb@$GONB_VERSION" &&
    go install github.com/janpfeifer/gonb)
  rm -rf "$tmpmod"
fi
command -v goimports >/dev/null || go install "golang.org/x/tools/cmd/goimports@$GOIMPORTS_VERSION"
# Register the kernel with Jupyter (kernel.json under ~/.local/share/jupyter);
# gopls (autocompletion only) is optional, hence --force_deps.
kernel_json="$(jupyter --data-dir)/kernels/gonb/kernel.json"
if ! grep -q "\"$GOBIN_DIR/gonb\"" "$kernel_json" 2>/dev/null; then
  gonb --install --force_deps
fi
