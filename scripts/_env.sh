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
# The browser tests drive Debian's Chromium (Playwright cannot download browsers here), Firefox
# ESR (WebDriver BiDi) and WebKitGTK (WebKitWebDriver under Xvfb). The build needs Chromium too:
# every static figure is drawn in it by the widget's own JavaScript (scripts/render.py), and the
# memory snapshots are made in Chromium and WebKitGTK. ensure_browsers installs whichever of them
# is missing, in one apt-get run; `ensure_browsers build` leaves Firefox out.
ensure_browsers() {
  local need=()
  [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || need+=(chromium)
  if [ "${1:-}" != build ]; then
    command -v "${FIREFOX:-firefox-esr}" >/dev/null 2>&1 || need+=(firefox-esr)
  fi
  [ -x "${WEBKIT_DRIVER:-/usr/bin/WebKitWebDriver}" ] || need+=(webkit2gtk-driver)
  command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
  if [ "${#need[@]}" -eq 0 ]; then
    return 0
  fi
  echo "==> installing Debian's ${need[*]} (the build draws its figures in Chromium; the tests drive all three)"
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    sudo="sudo -n"
  fi
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"; } >.venv/apt.log 2>&1; then
    tail -n 20 .venv/apt.log >&2
    echo "could not install ${need[*]} (see .venv/apt.log); set CHROMIUM, FIREFOX or WEBKIT_DRIVER to your own" >&2
    echo "(without Chromium the site cannot be built: its static figures are drawn in it)" >&2
    exit 1
  fi
}
