#!/usr/bin/env bash
# Install the libvirt binding into a test environment.
#
#   tools/install-libvirt-python.sh PIP VERSION
#
# libvirt-python 5.10.0 is the last release for Python 2.7, and its code
# generator stops at functions that the host's newer libvirt (Debian 12: 9.0)
# declares. It is given a copy of libvirt's API description that lists only
# the functions 5.10.0 knows; the compiled module is the same binding.
set -o errexit -o nounset -o pipefail

pip=${1:?usage: $0 PIP VERSION}
version=${2:?usage: $0 PIP VERSION}

if [ "${version%%.*}" -ge 6 ]; then
    "$pip" install "libvirt-python==$version"
    exit 0
fi

api_dir=$(mktemp -d)
trap 'rm -rf "$api_dir"' EXIT
for api in libvirt-api libvirt-qemu-api libvirt-lxc-api; do
    python3 - "/usr/share/libvirt/api/$api.xml" "$version" \
        >"$api_dir/$api.xml" <<'PY'
import re
import sys

text = open(sys.argv[1]).read()
limit = tuple(int(x) for x in sys.argv[2].split('.'))


def keep(match):
    since = tuple(int(x) for x in match.group(1).split('.'))
    return match.group(0) if since <= limit else ''


sys.stdout.write(re.sub(
    r'<function name=.[^>]*? version=.([0-9.]+).>.*?</function>\n',
    keep, text, flags=re.S))
PY
done
sed "s#^libvirt_api=.*#libvirt_api=$api_dir/libvirt-api.xml#" \
    "$(pkg-config --variable pcfiledir libvirt)/libvirt.pc" >"$api_dir/libvirt.pc"
PKG_CONFIG_PATH=$api_dir "$pip" install "libvirt-python==$version"
