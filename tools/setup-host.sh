#!/usr/bin/env bash
# Install the Debian packages the tests and the demonstration need.
# Idempotent; runs apt-get only when something is missing.
set -o errexit -o nounset -o pipefail

packages=(iptables iproute2 iputils-ping libvirt-dev pkg-config gcc git
          shellcheck python3-venv)
# tests/servicebed: a real libvirtd and QEMU, and the guest's kernel and
# busybox initramfs.
packages+=(libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients
           qemu-system-x86 qemu-utils ebtables dnsmasq-base bridge-utils
           cpio busybox-static linux-image-cloud-amd64)
# tools/gate.sh: the message broker and the database (run by the gate in
# its own namespace), and the headers mysqlclient builds against.
packages+=(rabbitmq-server mariadb-server libmariadb-dev libmariadb-dev-compat)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null \
        | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    # The tests start libvirtd, RabbitMQ and MariaDB themselves, inside
    # their namespaces: the packages must not start host-wide daemons.
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod +x "$policy"
        trap 'rm -f "$policy"' EXIT
    fi
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
