# shellcheck shell=bash
# gate-releases.sh - sourced by tools/gate.sh: everything its shell side
# needs to know about a release, in one place (tests/gate/releases.py is
# the Python side's).

# gate_release NAME - set tag, devstack_ref, nova_requires, glance_requires,
# pins, gate_pins, gate_extras and pip_check for NAME; return 1 for an unknown NAME.
# shellcheck disable=SC2034  # read by tools/gate.sh
gate_release() {
    local constraints
    constraints="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/constraints"
    case "$1" in
        havana)
            tag=2013.2.4 devstack_ref=havana-eol
            nova_requires=requirements.txt glance_requires=requirements.txt
            # what glance, the client and the MySQL driver add to nova's
            gate_extras="python-novaclient python-swiftclient passlib mysqlclient"
            pip_check=true ;;
        grizzly)
            tag=2013.1.5 devstack_ref=grizzly-eol
            nova_requires=tools/pip-requires glance_requires=tools/pip-requires
            # glance 2013.1.5 asks for pycrypto, nova 2013.1.5 does not
            gate_extras="python-novaclient python-swiftclient passlib mysqlclient pycrypto"
            # grizzly-py27.txt's own pins fail "pip check" (pyOpenSSL
            # 20.0.1 wants six>=1.5.2, quantumclient 2.2.3 pyparsing<2.0)
            # without harm to nova: the service bed runs on them too.
            pip_check=false ;;
        *) return 1 ;;
    esac
    pins="$constraints/$1-py27.txt"
    gate_pins="$constraints/gate-$1-py27.txt"
}
