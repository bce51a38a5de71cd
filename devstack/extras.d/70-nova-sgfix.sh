# shellcheck shell=bash
# 70-nova-sgfix.sh - extras.d dispatcher for nova-sgfix (OSSN-0022)
#
# For DevStack without enable_plugin (Grizzly, Havana): clone nova-sgfix to
# $DEST/nova-sgfix (or set NOVA_SGFIX_DIR in localrc) and copy this file into
# devstack/extras.d/. stack.sh, unstack.sh and clean.sh source it with:
#
#   Havana:  source | stack install | stack post-config | stack extra
#            | unstack | clean
#   Grizzly: stack (once, after every service has started) | unstack
#
# It is sourced into DevStack's shell, so it sets no shell options.

# Same default as devstack/settings, needed here to find that file.
NOVA_SGFIX_DIR=${NOVA_SGFIX_DIR:-$DEST/nova-sgfix}

if [[ ! -r "$NOVA_SGFIX_DIR/devstack/lib/nova-sgfix" ]]; then
    if [[ "${1:-}" == stack ]]; then
        die "$LINENO" "nova-sgfix: no checkout at NOVA_SGFIX_DIR=$NOVA_SGFIX_DIR: clone nova-sgfix there or set NOVA_SGFIX_DIR in localrc"
    fi
    echo "nova-sgfix: no checkout at NOVA_SGFIX_DIR=$NOVA_SGFIX_DIR: nothing to do for '$*'"
else
    # shellcheck source=devstack/settings
    source "$NOVA_SGFIX_DIR/devstack/settings"
    # shellcheck source=devstack/lib/nova-sgfix
    source "$NOVA_SGFIX_DIR/devstack/lib/nova-sgfix"

    case "${1:-}/${2:-}" in
        stack/install)
            echo_summary "Installing nova-sgfix"
            install_nova_sgfix
            ;;
        stack/post-config)
            echo_summary "Configuring nova-sgfix"
            configure_nova_sgfix
            ;;
        stack/)
            # Grizzly's only stack hook comes after nova-compute has started.
            echo_summary "Installing and configuring nova-sgfix"
            install_nova_sgfix
            configure_nova_sgfix
            if [[ "$NOVA_SGFIX_DRIVER_SET" == True ]]; then
                restart_nova_compute_for_sgfix
            fi
            ;;
        unstack/*|clean/*)
            cleanup_nova_sgfix
            ;;
    esac
fi
