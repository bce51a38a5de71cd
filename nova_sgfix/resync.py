"""Restart as a full resync: every initialised instance gets its filter back.

At start-up nova's compute manager hands the driver ``plug_vifs`` for every
instance it initialises, but re-applies filters only for running guests; the
first iptables-restore of the new process then deletes every other chain
(OSSN-0022, bug 1316822). Between ``init_host`` and the end of the manager's
start-up the firewall's applies are deferred, each ``plug_vifs`` registers its
instance, and one iptables-restore writes the whole host. Until then the
kernel keeps the previous process's rules, so nothing is unfiltered while the
batch is built; a guest started in between flushes the batch first (see
``FilterGuard.apply_pending``), with the previous process's chains of the
instances not reached yet carried along (see ``carryover``).
"""

from __future__ import absolute_import

from nova_sgfix import carryover
from nova_sgfix import compat
from nova_sgfix import exception
from nova_sgfix import filtering

LOG = compat.get_logger(__name__)


class StartupResync(object):
    """The batch of filters restored while nova-compute starts."""

    def __init__(self, guard):
        self._guard = guard
        self.in_progress = False
        self.restored = []
        self.failed = []

    def begin(self):
        if self.in_progress:
            return
        self._guard.firewall.filter_defer_apply_on()
        self.in_progress = True
        self.restored, self.failed = [], []
        self._carried = carryover.CarryOver(self._guard.iptables)
        self._carried.begin()
        LOG.debug('Start-up resync of security group filters begins')

    def restore(self, instance, network_info):
        """Register one instance; a failure is logged, never raised."""
        if not self.in_progress:
            return
        uuid = compat.instance_uuid(instance)
        self._carried.release(compat.field(instance, 'id'))
        try:
            self._guard.ensure_instance_filtered(
                instance, network_info, 'restore the filter of',
                apply_now=False)
        except exception.FilterSetupFailed as exc:
            self.failed.append(uuid)
            LOG.error('Start-up resync could not restore the security group '
                      'filter of instance %(id)s: %(reason)s; guarded paths '
                      'will retry before the guest starts',
                      {'id': compat.field(instance, 'id'),
                       'reason': exc.reason}, instance=instance)
            return
        self.restored.append(uuid)

    def finish(self):
        """Write the batch with one iptables-restore and stop deferring."""
        if not self.in_progress:
            return
        self.in_progress = False
        dropped = self._carried.drop_unclaimed()
        if dropped:
            LOG.info('Start-up resync removed the chains of instances %s: '
                     'nova-compute did not initialise them (deleted while '
                     'it was down, or skipped in an error state)',
                     ', '.join(dropped))
        try:
            self._guard.firewall.filter_defer_apply_off()
        except Exception as exc:
            compat.mark_tables_dirty(self._guard.iptables)
            LOG.error('Start-up resync could not write the security group '
                      'filters of %(n)d instances: %(cause)s; every guarded '
                      'guest start retries and refuses to start on failure',
                      {'n': len(self.restored),
                       'cause': filtering.describe(exc)})
            return
        LOG.info('Start-up resync restored the security group filters of '
                 '%(ok)d instances (%(bad)d failed) in one iptables-restore',
                 {'ok': len(self.restored), 'bad': len(self.failed)})
