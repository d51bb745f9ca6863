# shellcheck shell=sh
# Shared by bin/mlmon and scripts/test: find or build mlmon's Python environment.
#
# The environment lives in a user cache directory keyed by a hash of the dependency files and
# the Python version, so a terminal, Claude's Bash tool (which only knows bin/mlmon's path) and
# hooks (which also get CLAUDE_PLUGIN_DATA) all find the same one, it survives plugin updates,
# and a changed dependency list gets a fresh environment instead of a half-upgraded one.
# MLMON_HOME overrides the cache directory; MLMON_PYTHON the interpreter used to build it.

mlmon_die() { echo "mlmon: error: $*" >&2; exit 2; }

# mlmon_find_python: sets py to the first Python >= 3.10 (MLMON_PYTHON, then python3, ...) and pyver
# to its version, asking each candidate once: behind a pyenv shim every interpreter start costs
# ~85 ms, which is most of a small check's time.
mlmon_find_python() {
    for cand in "${MLMON_PYTHON:-}" python3 python3.13 python3.12 python3.11 python3.10 python; do
        [ -n "$cand" ] || continue
        command -v "$cand" >/dev/null 2>&1 || continue
        if pyver=$("$cand" -c 'import sys; v = sys.version_info; sys.exit(1) if v < (3, 10) else print("%d.%d" % v[:2])' 2>/dev/null) \
                && [ -n "$pyver" ]; then
            py=$cand; return 0
        fi
    done
    return 1
}

# mlmon_env_path ROOT REQFILE... ; sets MLMON_VENV (and py, pyver, home) without building anything,
# so a hook can ask "is it there yet?" and wait instead of building in the foreground.
mlmon_env_path() {
    root=$1; shift
    mlmon_find_python || mlmon_die "Python 3.10 or newer not found (PATH); install python3 >= 3.10 or set MLMON_PYTHON"
    key=$( { echo "$pyver"; for f in "$@"; do cat "$root/$f"; done; } | \
        { sha256sum 2>/dev/null || shasum -a 256; } | cut -c1-16)
    home=${MLMON_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/mlmon}
    MLMON_VENV="$home/env-$key"
}

# mlmon_ensure_env ROOT REQFILE... ; sets MLMON_VENV
mlmon_ensure_env() {
    mlmon_env_path "$@"
    shift
    [ -f "$MLMON_VENV/.complete" ] && return 0

    mkdir -p "$home" || mlmon_die "cannot create $home; set MLMON_HOME to a writable directory"
    lock="$MLMON_VENV.lock"
    waited=0
    while ! mkdir "$lock" 2>/dev/null; do
        # another mlmon is building the same environment: wait for it (stale after 15 min)
        [ -f "$MLMON_VENV/.complete" ] && return 0
        if [ "$waited" -ge 900 ]; then rm -rf "$lock"; waited=0; continue; fi
        [ "$waited" -eq 0 ] && echo "mlmon: waiting for another process to finish setting up $MLMON_VENV" >&2
        sleep 2; waited=$((waited + 2))
    done
    trap 'rm -rf "$lock"' EXIT INT TERM
    if [ ! -f "$MLMON_VENV/.complete" ]; then
        echo "mlmon: first run: creating the Python environment in $MLMON_VENV (Python $pyver; takes a minute or two)" >&2
        rm -rf "$MLMON_VENV"
        "$py" -I -m venv "$MLMON_VENV" >&2 || mlmon_die "python -m venv failed ($MLMON_VENV); install the venv module (Debian: apt-get install python3-venv)"
        reqs=""
        for f in "$@"; do reqs="$reqs -r $root/$f"; done
        echo "mlmon: installing dependencies:$(for f in "$@"; do printf ' %s' "$f"; done)" >&2
        # shellcheck disable=SC2086
        if ! "$MLMON_VENV/bin/python" -I -m pip install --disable-pip-version-check -q $reqs >&2; then
            rm -rf "$MLMON_VENV"
            mlmon_die "installing Python dependencies failed (see pip's output above); check network access to the package index and run again"
        fi
        touch "$MLMON_VENV/.complete"
        echo "mlmon: environment ready" >&2
    fi
    rm -rf "$lock"
    trap - EXIT INT TERM
}
