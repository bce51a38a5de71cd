"""nova's own nova-compute entry point, with the bed's libvirt 9.0 fix.

The gate writes a script named ``nova-compute`` that calls ``compute()``:
nova names its iptables chains after the script it runs from
(``linux_net.binary_name``), and DevStack's exercise looks for
``nova-compute-local`` and ``nova-compute-inst-<id>``. The process is
nova's ``nova.cmd.compute.main`` (which monkey-patches on import) with one
work-around, the same for the stock driver and nova-sgfix's
(tests/servicebed/workarounds.py: an nwfilter keeps its UUID when it is
redefined, which libvirt 9.0 requires at every start after the first).
"""

SCRIPT = """#!%(python)s
# Written by tests/gate/launch.py: nova-compute with the libvirt 9.0 fix.
import sys
from tests.gate import launch
sys.exit(launch.compute())
"""


def write_script(path, python):
    import os
    with open(path, 'w') as f:
        f.write(SCRIPT % {'python': python})
    os.chmod(path, 0o755)


def compute():
    from nova.cmd import compute as nova_compute
    from tests.servicebed.workarounds import patch_nwfilter_uuid
    patch_nwfilter_uuid()
    return nova_compute.main()
