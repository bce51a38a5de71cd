#!/usr/bin/env bash
# The gate's DevStack side (issue 14): configuration files written with
# DevStack's own ini functions, and nova-sgfix installed and configured by
# its extras.d dispatcher, as Havana's stack.sh sources it.
#
#   devstack.sh conf    write nova.conf, glance-api.conf, glance-registry.conf
#   devstack.sh sgfix   source devstack/extras.d/70-nova-sgfix.sh as the
#                       release's stack.sh does ($GATE_EXTRAS_CALLS: Havana
#                       "stack install", "stack post-config"; Grizzly "stack")
#
# The ini functions come from $GATE_DEVSTACK_TREE/functions (a havana-eol
# DevStack tree) when it is set, else from the project's stand-ins
# (tests/unit/devstack/fake_devstack.sh); the first line printed says which.
# The options are those Havana's lib/nova create_nova_conf and lib/glance
# write for a single-node nova-network + libvirt cloud, with the gate's
# addresses, no keystone (auth_strategy = noauth) and the work-arounds of
# doc/servicebed.rst. Inputs (environment): GATE_DIR, GATE_VENV,
# GATE_NOVA_TREE, GATE_GLANCE_TREE, GATE_DEVSTACK_TREE, GATE_TOP, GATE_MY_IP.
set -o pipefail
: "${GATE_DIR:?}" "${GATE_TOP:?}" "${GATE_NOVA_TREE:?}" "${GATE_GLANCE_TREE:?}"

if [[ -n "${GATE_DEVSTACK_TREE:-}" ]]; then
    # DevStack's functions read TOP_DIR.
    export TOP_DIR=$GATE_DEVSTACK_TREE
    # shellcheck source=/dev/null
    source "$GATE_DEVSTACK_TREE/functions" || exit 2
    echo "gate: DevStack functions from $GATE_DEVSTACK_TREE/functions"
    # stack.sh defines this one, not functions.
    function echo_summary {
        echo "$@"
    }
else
    FAKE_DEVSTACK_LOG=$GATE_DIR/fake-devstack.log
    # shellcheck source=tests/unit/devstack/fake_devstack.sh
    source "$GATE_TOP/tests/unit/devstack/fake_devstack.sh" || exit 2
    echo "gate: no DevStack tree: the project's stand-ins (tests/unit/devstack/fake_devstack.sh)"
fi

# DevStack's setup_develop pip-installs into the system Python; the gate's
# services run from its own environment with the checkout on PYTHONPATH.
function setup_develop {
    echo "gate: setup_develop $1: on PYTHONPATH of every service ($PYTHONPATH)"
}

DEST=$GATE_DIR
DATA_DIR=$GATE_DIR/data
NOVA_DIR=$GATE_NOVA_TREE
NOVA_CONF_DIR=$GATE_DIR/etc/nova
NOVA_CONF=$NOVA_CONF_DIR/nova.conf
NOVA_STATE_PATH=$DATA_DIR/nova
GLANCE_CONF_DIR=$GATE_DIR/etc/glance
VIRT_DRIVER=libvirt
ENABLED_SERVICES=rabbit,mysql,g-api,g-reg,n-api,n-cond,n-sch,n-net,n-cpu
DB=mysql://root@127.0.0.1
# mysqlclient, unlike MySQL-python, does not turn on multi-statement
# queries by default; glance's and nova's .sql migrations need them
# (CLIENT.MULTI_STATEMENTS | CLIENT.MULTI_RESULTS).
DB_ARGS='charset=utf8&client_flag=196608'
export DEST DATA_DIR NOVA_DIR NOVA_CONF VIRT_DRIVER ENABLED_SERVICES

function write_nova_conf {
    local conf=$NOVA_CONF
    mkdir -p "$NOVA_CONF_DIR" "$NOVA_STATE_PATH/instances" "$NOVA_STATE_PATH/networks"
    : >"$conf"
    iniset "$conf" DEFAULT verbose True
    iniset "$conf" DEFAULT debug True
    iniset "$conf" DEFAULT auth_strategy noauth
    iniset "$conf" DEFAULT allow_resize_to_same_host True
    iniset "$conf" DEFAULT api_paste_config "$NOVA_DIR/etc/nova/api-paste.ini"
    # DevStack copies these two into /etc/nova; the gate reads the tree's.
    iniset "$conf" DEFAULT policy_file "$NOVA_DIR/etc/nova/policy.json"
    iniset "$conf" DEFAULT osapi_compute_extension nova.api.openstack.compute.contrib.standard_extensions
    iniset "$conf" DEFAULT my_ip "$GATE_MY_IP"
    iniset "$conf" DEFAULT host gate
    iniset "$conf" DEFAULT sql_connection "$DB/nova?$DB_ARGS"
    iniset "$conf" DEFAULT instance_name_template instance-%08x
    iniset "$conf" DEFAULT enabled_apis osapi_compute,metadata
    iniset "$conf" DEFAULT state_path "$NOVA_STATE_PATH"
    iniset "$conf" DEFAULT lock_path "$NOVA_STATE_PATH"
    iniset "$conf" DEFAULT instances_path "$NOVA_STATE_PATH/instances"
    iniset "$conf" DEFAULT networks_path "$NOVA_STATE_PATH/networks"
    iniset "$conf" DEFAULT api_rate_limit False
    iniset "$conf" DEFAULT vnc_enabled False
    iniset "$conf" DEFAULT glance_api_servers 127.0.0.1:9292
    iniset "$conf" DEFAULT rpc_backend nova.openstack.common.rpc.impl_kombu
    iniset "$conf" DEFAULT rabbit_host 127.0.0.1
    iniset "$conf" DEFAULT rabbit_password guest
    # A soft reboot waits for the guest: longer than nova's 60 s.
    iniset "$conf" DEFAULT rpc_response_timeout 600
    # nova-network, as lib/nova and stack.sh write it for FlatDHCPManager.
    iniset "$conf" DEFAULT network_manager nova.network.manager.FlatDHCPManager
    iniset "$conf" DEFAULT flat_network_bridge br100
    iniset "$conf" DEFAULT dhcpbridge_flagfile "$conf"
    # dnsmasq's lease script and dhcp_release are not needed by one host.
    iniset "$conf" DEFAULT dhcpbridge /bin/true
    iniset "$conf" DEFAULT force_dhcp_release False
    # The hypervisor, as stack.sh writes it for VIRT_DRIVER=libvirt.
    iniset "$conf" DEFAULT compute_driver libvirt.LibvirtDriver
    iniset "$conf" DEFAULT firewall_driver nova.virt.libvirt.firewall.IptablesFirewallDriver
    iniset "$conf" DEFAULT libvirt_type qemu
    iniset "$conf" DEFAULT libvirt_cpu_mode none
    iniset "$conf" DEFAULT libvirt_inject_partition -2
    # doc/servicebed.rst: QEMU 7.2's qemu-img and Havana's backing files.
    iniset "$conf" DEFAULT use_cow_images False
    # Havana waits 120 s before a soft reboot falls back to a hard one.
    iniset "$conf" DEFAULT libvirt_wait_soft_reboot_seconds 20
    iniset "$conf" DEFAULT resume_guests_state_on_host_boot False
    iniset "$conf" DEFAULT use_ipv6 False
    echo "gate: wrote $conf"
}

function write_glance_conf {
    local name conf
    mkdir -p "$GLANCE_CONF_DIR" "$DATA_DIR/glance/images" "$DATA_DIR/glance/cache"
    for name in registry api; do
        conf=$GLANCE_CONF_DIR/glance-$name.conf
        : >"$conf"
        iniset "$conf" DEFAULT debug True
        iniset "$conf" DEFAULT verbose True
        iniset "$conf" DEFAULT sql_connection "$DB/glance?$DB_ARGS"
        iniset "$conf" DEFAULT registry_host 127.0.0.1
        iniset "$conf" DEFAULT registry_port 9191
        iniset "$conf" DEFAULT policy_file "$GATE_GLANCE_TREE/etc/policy.json"
        iniset "$conf" paste_deploy config_file "$GATE_GLANCE_TREE/etc/glance-$name-paste.ini"
    done
    conf=$GLANCE_CONF_DIR/glance-registry.conf
    iniset "$conf" DEFAULT bind_port 9191
    conf=$GLANCE_CONF_DIR/glance-api.conf
    iniset "$conf" DEFAULT bind_port 9292
    iniset "$conf" DEFAULT default_store file
    iniset "$conf" DEFAULT known_stores glance.store.filesystem.Store
    iniset "$conf" DEFAULT filesystem_store_datadir "$DATA_DIR/glance/images/"
    iniset "$conf" DEFAULT image_cache_dir "$DATA_DIR/glance/cache/"
    iniset "$conf" DEFAULT notifier_strategy noop
    echo "gate: wrote $GLANCE_CONF_DIR/glance-registry.conf, glance-api.conf"
}

case "${1:-}" in
    conf)
        set -o errexit
        write_nova_conf
        write_glance_conf
        ;;
    sgfix)
        NOVA_SGFIX_DIR=$GATE_TOP
        NOVA_SGFIX_RECORD=$DATA_DIR/nova-sgfix/changes
        export NOVA_SGFIX_DIR NOVA_SGFIX_RECORD
        # As the release's stack.sh sources each extras.d file
        # ($GATE_EXTRAS_CALLS, tests/gate/releases.py: Havana "stack
        # install" then "stack post-config", Grizzly "stack" once), in a
        # shell with neither errexit nor nounset. The gate has no screen:
        # with USE_SCREEN=False Grizzly's hook leaves the restart of
        # nova-compute to the gate, which does it (tests/gate/run.py).
        USE_SCREEN=False
        IFS=';' read -r -a calls <<<"${GATE_EXTRAS_CALLS:-stack install;stack post-config}"
        for call in "${calls[@]}"; do
            # shellcheck disable=SC2086  # "stack PHASE" is two words
            # shellcheck source=devstack/extras.d/70-nova-sgfix.sh
            source "$GATE_TOP/devstack/extras.d/70-nova-sgfix.sh" $call ||
                { echo "gate: extras.d $call failed" >&2; exit 1; }
        done
        echo "gate: nova.conf now: compute_driver = $(iniget "$NOVA_CONF" DEFAULT compute_driver), [sgfix] enabled = $(iniget "$NOVA_CONF" sgfix enabled)"
        ;;
    *)
        echo "usage: $0 conf|sgfix" >&2
        exit 2
        ;;
esac
