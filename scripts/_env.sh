# Shared by scripts/serve and scripts/test: create .venv if missing and install the
# project with the requested extras. Idempotent: a stamp file records what was installed
# (hash of pyproject.toml + extras); with nothing changed, nothing is installed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
VPY="$ROOT/.venv/bin/python"
ensure_installed() {
  local extras="$1"
  local stamp=".venv/.installed-${extras//,/-}"
  local want
  want="$(cat pyproject.toml | sha256sum | cut -d' ' -f1) $extras"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "==> installing simcore[$extras] into .venv"
  local log=".venv/install.log"
  if ! { "$VPY" -m pip install --upgrade pip && "$VPY" -m pip install -e ".[$extras]"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "install failed; full log in $log" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
}
export NO_MKDOCS_2_WARNING=1
# Debian's Chromium drives the browser tests (Playwright cannot download browsers here).
ensure_chromium() {
  if [ -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    return 0
  fi
  echo "==> installing Debian's chromium for the browser tests"
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    sudo="sudo -n"
  fi
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium; } >.venv/apt.log 2>&1; then
    tail -n 20 .venv/apt.log >&2
    echo "could not install chromium (see .venv/apt.log); set CHROMIUM=/path/to/chromium" >&2
    exit 1
  fi
}
