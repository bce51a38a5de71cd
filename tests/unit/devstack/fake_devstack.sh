# shellcheck shell=bash
# fake_devstack.sh - stand-ins for the DevStack function contract that the
# nova-sgfix plugin uses, for the plugin harness tests. Written for these
# tests (no DevStack code): the INI helpers keep DevStack's observable
# behaviour (iniset adds a missing section and option, replaces an existing
# value in place; iniget prints the value without surrounding blanks;
# inidelete removes the option, keeping the section).
# Calls with effects outside nova.conf are recorded in $FAKE_DEVSTACK_LOG.

function _fake_devstack_record {
    echo "$*" >>"${FAKE_DEVSTACK_LOG:?}"
}

# die LINENO MESSAGE...
function die {
    local line=$1
    shift
    echo "[ERROR] line $line: $*" >&2
    exit 1
}

function echo_summary {
    echo "summary: $*"
}

# is_service_enabled SERVICE... - with DevStack's "neutron" and "nova" groups
function is_service_enabled {
    local service
    for service in "$@"; do
        [[ ",${ENABLED_SERVICES}," == *",${service},"* ]] && return 0
        [[ "$service" == neutron && ",${ENABLED_SERVICES}" =~ ,(q|neutron)- ]] && return 0
        [[ "$service" == nova && ",${ENABLED_SERVICES}" == *",n-"* ]] && return 0
    done
    return 1
}

# iniget FILE SECTION OPTION
function iniget {
    awk -v section="[$2]" -v option="$3" '
        /^\[/ { here = ($0 == section); next }
        here && index($0, "=") {
            key = substr($0, 1, index($0, "=") - 1)
            gsub(/^[ \t]+|[ \t]+$/, "", key)
            if (key == option) {
                value = substr($0, index($0, "=") + 1)
                gsub(/^[ \t]+|[ \t]+$/, "", value)
            }
        }
        END { print value }' "$1"
}

# ini_has_option FILE SECTION OPTION
function ini_has_option {
    awk -v section="[$2]" -v option="$3" '
        /^\[/ { here = ($0 == section); next }
        here && index($0, "=") {
            key = substr($0, 1, index($0, "=") - 1)
            gsub(/^[ \t]+|[ \t]+$/, "", key)
            if (key == option) found = 1
        }
        END { exit !found }' "$1"
}

# inidelete FILE SECTION OPTION
function inidelete {
    local file=$1 tmp
    tmp=$(mktemp "$file.XXXXXX")
    awk -v section="[$2]" -v option="$3" '
        /^\[/ { here = ($0 == section) }
        here && index($0, "=") {
            key = substr($0, 1, index($0, "=") - 1)
            gsub(/^[ \t]+|[ \t]+$/, "", key)
            if (key == option) next
        }
        { print }' "$file" >"$tmp"
    cat "$tmp" >"$file"
    rm -f "$tmp"
}

# iniset FILE SECTION OPTION VALUE
function iniset {
    local file=$1 tmp
    tmp=$(mktemp "$file.XXXXXX")
    awk -v section="[$2]" -v option="$3" -v value="$4" '
        function add() { print option " = " value; done = 1 }
        /^\[/ {
            if (here && !done) add()
            here = ($0 == section)
            print
            next
        }
        here && !done && index($0, "=") {
            key = substr($0, 1, index($0, "=") - 1)
            gsub(/^[ \t]+|[ \t]+$/, "", key)
            if (key == option) { add(); next }
        }
        { print }
        END {
            if (here && !done) add()
            if (!done) { print ""; print section; add() }
        }' "$file" >"$tmp"
    cat "$tmp" >"$file"
    rm -f "$tmp"
}

function setup_develop {
    _fake_devstack_record "setup_develop $*"
}

function pip_install {
    _fake_devstack_record "pip_install $*"
}

function screen_it {
    _fake_devstack_record "screen_it $*"
}

# DevStack runs GNU screen; the plugin only ever drives the n-cpu window.
function screen {
    _fake_devstack_record "screen $*"
}
