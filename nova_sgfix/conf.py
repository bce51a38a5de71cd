"""The ``[sgfix]`` option group.

Help texts follow nova's ``[workarounds]`` group: what the option does, the
advisory it answers, the possible values and the related options.
"""

from __future__ import absolute_import

from nova_sgfix.compat import cfg

GROUP_NAME = 'sgfix'

sgfix_group = cfg.OptGroup(
    GROUP_NAME,
    title='nova-sgfix options',
    help='Options of nova-sgfix, which keeps nova-network security-group '
         'filters in force on every libvirt path that starts a guest '
         '(OSSN-0022, Launchpad bug 1316822).')

sgfix_opts = [
    cfg.BoolOpt(
        'enabled',
        default=True,
        help='Establish an instance\'s security-group filter (libvirt '
             'nwfilter and iptables chain) before any libvirt path starts or '
             'resumes the guest: soft reboot, unpause, rescue, unrescue, '
             'the restart after a cold snapshot, and a newly attached '
             'interface. If the filter cannot be established the guest is '
             'not started and the operation fails with an error naming the '
             'instance and the cause.\n\n'
             'This answers OpenStack Security Note OSSN-0022 (Launchpad bug '
             '1316822): after a nova-compute restart, stock nova starts such '
             'guests with no security group at all.\n\n'
             'Possible values:\n\n'
             '* True: the fix is in force (default).\n'
             '* False: behave exactly like nova\'s own libvirt driver, '
             'without editing ``compute_driver``. Guests started this way '
             'may run without their security group.\n\n'
             'Related options:\n\n'
             '* ``[DEFAULT] compute_driver`` must be '
             '``nova_sgfix.virt.libvirt.LibvirtDriver``.\n'
             '* ``[sgfix] resync_on_start``.'),
    cfg.BoolOpt(
        'resync_on_start',
        default=True,
        help='When nova-compute starts, restore the security-group filter '
             'of every instance it initialises (running, stopped, paused, '
             'suspended, rescued), not only of the running ones, with a '
             'constant number of iptables-restore runs for the whole host.\n\n'
             'Stock nova re-applies filters only for running guests, so the '
             'first firewall change after a restart deletes the chains of '
             'all others (OSSN-0022, Launchpad bug 1316822). With this '
             'option a guest that is unpaused or started later already has '
             'its filter.\n\n'
             'Possible values:\n\n'
             '* True: full resync at start-up (default).\n'
             '* False: only the guarded paths establish filters, one guest '
             'at a time.\n\n'
             'Related options:\n\n'
             '* ``[sgfix] enabled``: when False this option has no effect.\n'
             '* ``[DEFAULT] defer_iptables_apply``: nova-sgfix batches the '
             'resync whatever its value.'),
]


def register_opts(conf):
    """Register the ``[sgfix]`` group and its options on ``conf``."""
    conf.register_group(sgfix_group)
    conf.register_opts(sgfix_opts, group=sgfix_group)


def list_opts():
    """Options for oslo-config-generator (``oslo.config.opts`` entry point)."""
    return [(sgfix_group, sgfix_opts)]
