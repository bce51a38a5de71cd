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
"""

import collections

Release = collections.namedtuple(
    'Release', 'tag compute_module compute_script extras_calls')

RELEASES = {
    'havana': Release('2013.2.4', 'nova.cmd.compute', None,
                      ('stack install', 'stack post-config')),
    'grizzly': Release('2013.1.5', None, 'bin/nova-compute', ('stack',)),
}
