"""What the gate's Python side needs to know about each release it runs.

tools/gate.sh passes ``--release``; the shell side's differences (tags,
requirement files, pins, DevStack branch) are in tools/gate-releases.sh.
Here: how nova-compute is entered, and how stack.sh sources extras.d.
Havana has ``nova.cmd.compute.main`` (whose package monkey-patches on
import); Grizzly has only the script ``bin/nova-compute``, which
monkey-patches itself and runs its body under ``if __name__ ==
'__main__'``. Havana's stack.sh sources each extras.d file with
``stack install`` and later ``stack post-config`` (before nova starts);
Grizzly's once with ``stack``, after every service has started.
Havana's services start from the environment's console scripts; Grizzly's
from the trees' own ``bin/`` scripts with the environment's Python: the
wrappers ``setup.py develop`` writes for them make pkg_resources resolve
every requirement of nova, and grizzly-py27.txt's pins do not satisfy two
(python-quantumclient 2.2.3 wants pyparsing<2.0, cliff 1.4.5 pyparsing
2.0.1; pyOpenSSL 20.0.1 six>=1.5.2, pinned 1.4.1), which nova never
imports together (the service bed runs on the same pins). The
work-arounds (tests/servicebed/workarounds.py) nova-compute gets: the
nwfilter UUID for both, Havana's vCPU count for Grizzly.
"""

import collections

Release = collections.namedtuple(
    'Release',
    'tag compute_module compute_script extras_calls scripts_from_tree'
    ' compute_workarounds')

RELEASES = {
    'havana': Release('2013.2.4', 'nova.cmd.compute', None,
                      ('stack install', 'stack post-config'), False,
                      ('patch_nwfilter_uuid',)),
    'grizzly': Release('2013.1.5', None, 'bin/nova-compute', ('stack',),
                       True, ('patch_nwfilter_uuid', 'patch_vcpu_count')),
}
