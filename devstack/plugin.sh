# shellcheck shell=bash
# plugin.sh - DevStack plugin dispatcher for nova-sgfix (OSSN-0022)
#
# For DevStack with enable_plugin (Kilo and later):
#
#   enable_plugin nova-sgfix <nova-sgfix git URL> [branch]
#
# DevStack sources devstack/settings, then this file with a mode and phase:
# stack pre-install|install|post-config|extra|test-config, unstack, clean.
# It is sourced into DevStack's shell, so it sets no shell options.

# shellcheck source=devstack/lib/nova-sgfix
source "$(dirname "${BASH_SOURCE[0]}")/lib/nova-sgfix"

case "${1:-}/${2:-}" in
    stack/install)
        echo_summary "Installing nova-sgfix"
        install_nova_sgfix
        ;;
    stack/post-config)
        # nova.conf exists and nova-compute has not started yet.
        echo_summary "Configuring nova-sgfix"
        configure_nova_sgfix
        ;;
    unstack/*|clean/*)
        cleanup_nova_sgfix
        ;;
esac
