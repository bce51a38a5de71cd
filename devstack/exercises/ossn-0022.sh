#!/usr/bin/env bash

# **ossn-0022.sh** - security groups stay in force across a nova-compute restart
#
# OSSN-0022 / Launchpad bug 1316822: with nova-network, a guest's security
# group is the iptables chain nova-compute-inst-<id> that nova-compute writes.
# After a nova-compute restart the libvirt soft reboot of a stopped guest, and
# the unpause of a guest paused across the restart, start the guest with no
# chain: it is wide open.
#
# This exercise boots a guest in a security group that allows tcp/22 from one
# CIDR, then for each of those two paths restarts nova-compute, starts the
# guest again and checks iptables-save on this host for the guest's chain.
#
# Run it on the compute host of a libvirt + nova-network DevStack, as the
# user that ran stack.sh, with admin credentials:
#
#   source devstack/openrc admin admin
#   $DEST/nova-sgfix/devstack/exercises/ossn-0022.sh
#
# Exit status: 0 every path left the guest filtered; 1 EXPOSED, a path left
# the guest without its filter; 2 the exercise could not run to the end.
# Whatever it created is deleted on every exit.

set -o errexit -o nounset -o pipefail -o errtrace

echo "*********************************************************************"
echo "Begin DevStack Exercise: $0"
echo "*********************************************************************"


# Settings
# ========

# The one rule of the exercise's security group: tcp/$OSSN0022_PORT from here.
OSSN0022_CIDR=${OSSN0022_CIDR:-198.51.100.0/24}
OSSN0022_PORT=${OSSN0022_PORT:-22}
# Name of the security group and of the guest.
OSSN0022_NAME=${OSSN0022_NAME:-ossn-0022-$$}
# Image ID or name; empty picks the first ACTIVE cirros image.
OSSN0022_IMAGE=${OSSN0022_IMAGE:-}
OSSN0022_FLAVOR=${OSSN0022_FLAVOR:-m1.tiny}
# Seconds. Havana's soft reboot of a stopped guest waits 120 s before it
# falls back to a hard reboot, hence the long reboot timeout.
OSSN0022_ACTIVE_TIMEOUT=${OSSN0022_ACTIVE_TIMEOUT:-120}
OSSN0022_REBOOT_TIMEOUT=${OSSN0022_REBOOT_TIMEOUT:-300}
OSSN0022_TERMINATE_TIMEOUT=${OSSN0022_TERMINATE_TIMEOUT:-60}
OSSN0022_POLL_INTERVAL=${OSSN0022_POLL_INTERVAL:-2}
OSSN0022_RESTART_WAIT=${OSSN0022_RESTART_WAIT:-20}
# A command that restarts nova-compute, for set-ups that use neither the
# devstack@n-cpu systemd unit nor DevStack's screen session.
OSSN0022_RESTART_CMD=${OSSN0022_RESTART_CMD:-}
OSSN0022_IPTABLES_SAVE=${OSSN0022_IPTABLES_SAVE:-iptables-save}
SCREEN_NAME=${SCREEN_NAME:-stack}

GUEST_ID=""
GUEST_LABEL=$OSSN0022_NAME
SECGROUP_CREATED=""
EXPOSED_PATHS=""


# Helpers
# =======

function die {
    echo "ERROR: $*" >&2
    exit 2
}

function on_error {
    die "command failed at line $1 (exit status $2)"
}

function as_root {
    if [[ "$(id -u)" -eq 0 ]]; then
        "$@"
    else
        sudo "$@"
    fi
}

# table_field FIELD - the value of FIELD in the nova table on stdin
function table_field {
    awk -F'|' -v field="$1" '
        { key = $2; val = $3; gsub(/^ +| +$/, "", key); gsub(/^ +| +$/, "", val) }
        key == field && !found { found = 1; print val }'
}

function guest_status {
    local out
    out=$(nova show "$GUEST_ID") || return 1
    table_field status <<<"$out"
}

# guest_fixed_ip - the first address of the guest's "<label> network" row
function guest_fixed_ip {
    local out
    out=$(nova show "$GUEST_ID") || return 1
    awk -F'|' '
        { key = $2; val = $3; gsub(/^ +| +$/, "", key); gsub(/^ +| +$/, "", val) }
        key ~ / network$/ && ip == "" { split(val, addr, /, */); ip = addr[1] }
        END { print ip }' <<<"$out"
}

# wait_for_status STATUS TIMEOUT
function wait_for_status {
    local want=$1 timeout=$2 waited=0 status=""
    while (( waited <= timeout )); do
        status=$(guest_status)
        if [[ "$status" == "$want" ]]; then
            return 0
        fi
        if [[ "$status" == ERROR ]]; then
            die "guest $GUEST_LABEL went to ERROR while waiting for $want"
        fi
        sleep "$OSSN0022_POLL_INTERVAL"
        waited=$(( waited + OSSN0022_POLL_INTERVAL ))
    done
    die "guest $GUEST_LABEL is not $want after ${timeout}s (status: ${status:-unknown})"
}

function restart_nova_compute {
    local sessions
    if [[ -n "$OSSN0022_RESTART_CMD" ]]; then
        echo "Restarting nova-compute: $OSSN0022_RESTART_CMD"
        bash -c "$OSSN0022_RESTART_CMD"
    elif command -v systemctl >/dev/null 2>&1 &&
            systemctl cat devstack@n-cpu.service >/dev/null 2>&1; then
        echo "Restarting nova-compute: systemd unit devstack@n-cpu.service"
        as_root systemctl restart devstack@n-cpu.service
    else
        sessions=""
        if command -v screen >/dev/null 2>&1; then
            # screen -ls exits non-zero even when it lists sessions.
            sessions=$(screen -ls 2>/dev/null || true)
        fi
        if ! grep -Eq "[0-9]+\.${SCREEN_NAME}[[:space:]]" <<<"$sessions"; then
            die "cannot restart nova-compute: no devstack@n-cpu systemd unit and no screen session '$SCREEN_NAME'; set OSSN0022_RESTART_CMD"
        fi
        echo "Restarting nova-compute: window n-cpu of screen session $SCREEN_NAME"
        # Ctrl-C the service, then recall and rerun the window's last command,
        # the service command line DevStack typed there.
        screen -S "$SCREEN_NAME" -p n-cpu -X stuff $'\003'
        sleep "$OSSN0022_POLL_INTERVAL"
        screen -S "$SCREEN_NAME" -p n-cpu -X stuff $'\033[A\r'
    fi
    sleep "$OSSN0022_RESTART_WAIT"
}

function filter_rules {
    as_root "$OSSN0022_IPTABLES_SAVE" -t filter
}

# filter_gap RULES IP - say what is missing from the guest's security group
# filter in the iptables-save output RULES; print nothing when it is whole.
function filter_gap {
    local rules=$1 ip=$2 chain
    chain=$(awk -v dst="$ip/32" '
        $1 == "-A" && $2 == "nova-compute-local" && $3 == "-d" && $4 == dst && $5 == "-j" { c = $6 }
        END { print c }' <<<"$rules")
    if [[ -z "$chain" ]]; then
        echo "no jump from nova-compute-local -d $ip/32 to a nova-compute-inst chain"
    elif ! awk -v c=":$chain" '$1 == c { found = 1 } END { exit !found }' <<<"$rules"; then
        echo "nova-compute-local jumps to $chain, which does not exist"
    elif ! grep -Fxq -e "-A $chain -s $OSSN0022_CIDR -p tcp -m tcp --dport $OSSN0022_PORT -j ACCEPT" <<<"$rules"; then
        echo "$chain has no rule accepting tcp/$OSSN0022_PORT from $OSSN0022_CIDR"
    elif ! grep -Fxq -e "-A $chain -j nova-compute-sg-fallback" <<<"$rules"; then
        echo "$chain does not end in nova-compute-sg-fallback"
    fi
}

# check_filtered PATH - record an exposure if the guest lost its filter
function check_filtered {
    local rules gap
    rules=$(filter_rules)
    gap=$(filter_gap "$rules" "$FIXED_IP")
    if [[ -n "$gap" ]]; then
        echo "EXPOSED: guest $GUEST_LABEL (fixed IP $FIXED_IP) after $1: $gap" >&2
        EXPOSED_PATHS="$EXPOSED_PATHS; $1"
    else
        echo "FILTERED: guest $GUEST_LABEL after $1"
    fi
}

# note_restart_effect - whether the restart dropped the guest's chain (the
# advisory's precondition); for the log only.
function note_restart_effect {
    local rules gap
    rules=$(filter_rules)
    gap=$(filter_gap "$rules" "$FIXED_IP")
    echo "After the restart, before starting the guest: ${gap:-guest filter in place}"
}

function cleanup {
    local rc=$?
    trap - ERR
    set +o errexit
    if [[ -n "$GUEST_ID" ]]; then
        echo "Cleaning up: deleting guest $GUEST_LABEL"
        nova delete "$GUEST_ID"
        local waited=0
        while (( waited < OSSN0022_TERMINATE_TIMEOUT )) && nova show "$GUEST_ID" >/dev/null 2>&1; do
            sleep "$OSSN0022_POLL_INTERVAL"
            waited=$(( waited + OSSN0022_POLL_INTERVAL ))
        done
    fi
    if [[ -n "$SECGROUP_CREATED" ]]; then
        echo "Cleaning up: deleting security group $OSSN0022_NAME"
        nova secgroup-delete "$OSSN0022_NAME" >/dev/null ||
            echo "WARNING: security group $OSSN0022_NAME was not deleted" >&2
    fi
    exit "$rc"
}

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'on_error "$LINENO" "$?"' ERR


# Preconditions
# =============

if [[ -z "${OS_AUTH_URL:-}" ]]; then
    die "no cloud credentials: source devstack/openrc admin admin first"
fi
command -v nova >/dev/null 2>&1 || die "command not found: nova (python-novaclient)"
if ! filter_rules >/dev/null; then
    die "cannot read this host's filter table with '$OSSN0022_IPTABLES_SAVE -t filter' (as root)"
fi
if ! (( OSSN0022_POLL_INTERVAL > 0 )); then
    die "OSSN0022_POLL_INTERVAL must be a positive number of seconds"
fi

if [[ -z "$OSSN0022_IMAGE" ]]; then
    images=$(nova image-list)
    OSSN0022_IMAGE=$(awk -F'|' '
        { id = $2; name = $3; status = $4
          gsub(/ /, "", id); gsub(/^ +| +$/, "", name); gsub(/ /, "", status) }
        status == "ACTIVE" && name ~ /cirros/ && name !~ /-(kernel|ramdisk)$/ && img == "" { img = id }
        END { print img }' <<<"$images")
    [[ -n "$OSSN0022_IMAGE" ]] || die "no ACTIVE cirros image in 'nova image-list'; set OSSN0022_IMAGE"
fi


# A guest in a one-rule security group
# ====================================

nova secgroup-create "$OSSN0022_NAME" "OSSN-0022 exercise: tcp/$OSSN0022_PORT from $OSSN0022_CIDR"
SECGROUP_CREATED=yes
nova secgroup-add-rule "$OSSN0022_NAME" tcp "$OSSN0022_PORT" "$OSSN0022_PORT" "$OSSN0022_CIDR"

# Until nova answers with the ID, cleanup deletes the guest by its name.
GUEST_ID=$OSSN0022_NAME
boot=$(nova boot --flavor "$OSSN0022_FLAVOR" --image "$OSSN0022_IMAGE" \
    --security-groups "$OSSN0022_NAME" "$OSSN0022_NAME")
GUEST_ID=$(table_field id <<<"$boot")
[[ -n "$GUEST_ID" ]] || { GUEST_ID=$OSSN0022_NAME; die "nova boot printed no server id"; }
GUEST_LABEL="$OSSN0022_NAME ($GUEST_ID)"

wait_for_status ACTIVE "$OSSN0022_ACTIVE_TIMEOUT"
FIXED_IP=$(guest_fixed_ip)
[[ -n "$FIXED_IP" ]] || die "guest $GUEST_LABEL has no fixed IP"
echo "Guest $GUEST_LABEL is ACTIVE with fixed IP $FIXED_IP"

rules=$(filter_rules)
gap=$(filter_gap "$rules" "$FIXED_IP")
if [[ -n "$gap" ]]; then
    die "guest $GUEST_LABEL is not filtered even before any restart ($gap): is this the compute host of a nova-network cloud with the libvirt iptables firewall?"
fi


# Path 1: soft reboot of a guest stopped across a nova-compute restart
# ====================================================================

nova stop "$GUEST_ID"
wait_for_status SHUTOFF "$OSSN0022_ACTIVE_TIMEOUT"
restart_nova_compute
note_restart_effect
if reboot=$(nova reboot "$GUEST_ID" 2>&1); then
    wait_for_status ACTIVE "$OSSN0022_REBOOT_TIMEOUT"
    check_filtered "soft reboot of the stopped guest after a nova-compute restart"
elif grep -q "HTTP 409" <<<"$reboot"; then
    # Icehouse and later refuse a soft reboot unless the guest is ACTIVE.
    echo "SKIPPED: the API refuses a soft reboot of a stopped guest: $reboot"
    nova start "$GUEST_ID"
    wait_for_status ACTIVE "$OSSN0022_ACTIVE_TIMEOUT"
else
    die "nova reboot failed: $reboot"
fi


# Path 2: unpause of a guest paused across a nova-compute restart
# ===============================================================

nova pause "$GUEST_ID"
wait_for_status PAUSED "$OSSN0022_ACTIVE_TIMEOUT"
restart_nova_compute
note_restart_effect
nova unpause "$GUEST_ID"
wait_for_status ACTIVE "$OSSN0022_ACTIVE_TIMEOUT"
check_filtered "unpause of the guest paused across a nova-compute restart"


if [[ -n "$EXPOSED_PATHS" ]]; then
    echo "FAILED: OSSN-0022: guest $GUEST_LABEL was left open after:${EXPOSED_PATHS#;}" >&2
    exit 1
fi

echo "*********************************************************************"
echo "SUCCESS: End DevStack Exercise: $0"
echo "*********************************************************************"
