"""nova's own nova-compute entry point, with the bed's libvirt 9.0 fix.

The gate writes a script named ``nova-compute`` that calls ``compute()``:
nova names its iptables chains after the script it runs from
(``linux_net.binary_name``), and DevStack's exercise looks for
``nova-compute-local`` and ``nova-compute-inst-<id>``. The process is
nova's own entry point for the release (tests/gate/releases.py: Havana's
``nova.cmd.compute.main``, which monkey-patches on import; Grizzly's
``bin/nova-compute`` script, run as ``__main__`` after the same
monkey-patching) with the release's work-arounds, the same for the stock
driver and nova-sgfix's (tests/servicebed/workarounds.py: an nwfilter keeps
its UUID when it is redefined, which libvirt 9.0 requires at every start
after the first; on Grizzly also Havana's vCPU count).
"""

SCRIPT = """#!%(python)s
# Written by tests/gate/launch.py: nova-compute with the libvirt 9.0 fix.
import sys
from tests.gate import launch
sys.exit(launch.compute(%(release)r, %(nova_tree)r))
"""


def write_script(path, python, release='havana', nova_tree=''):
    import os
    with open(path, 'w') as f:
        f.write(SCRIPT % {'python': python, 'release': release,
                          'nova_tree': nova_tree})
    os.chmod(path, 0o755)


def compute(release='havana', nova_tree=''):
    import os
    import runpy

    from tests.gate.releases import RELEASES
    from tests.servicebed import workarounds
    entry = RELEASES[release]

    def patch():
        for name in entry.compute_workarounds:
            getattr(workarounds, name)()
    if entry.compute_module:
        module = __import__(entry.compute_module, fromlist=['main'])
        patch()
        return module.main()
    # As the script's first lines do, before anything imports nova.
    import eventlet
    eventlet.monkey_patch()
    patch()
    runpy.run_path(os.path.join(nova_tree, entry.compute_script),
                   run_name='__main__')
    return 0
