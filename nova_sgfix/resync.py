"""Restart as a full resync: every guest keeps or gets back its filter.

At start-up nova's compute manager hands the driver ``plug_vifs`` for every
instance it initialises, but re-applies filters only for running guests; the
first iptables-restore of the new process then deletes every other chain
(OSSN-0022, bug 1316822). Between ``init_host`` and the end of the manager's
start-up the firewall's applies are deferred, each ``plug_vifs`` registers its
instance, and one iptables-restore writes the whole host.

What the kernel held before is never given up on a guess (see
``carryover``): a chain whose instance nova did not initialise, or whose
registration failed, stays in force while libvirt shows its guest running;
a start-up that ends early writes nothing that drops one; and if the rules
cannot be read at all, nothing is written and no guest is started until they
can.
"""

from __future__ import absolute_import

from nova_sgfix import carryover
from nova_sgfix import compat
from nova_sgfix import domains
from nova_sgfix import exception
from nova_sgfix import filtering

LOG = compat.get_logger(__name__)


class StartupResync(object):
    """The batch of filters restored while nova-compute starts."""

    def __init__(self, guard, domain_lookup):
        """:param domain_lookup: callable returning a ``DomainLookup``."""
        self._guard = guard
        self._lookup = domain_lookup
        self._carried = None
        self.in_progress = False
        self.restored = []
        self.failed = []
        self.orphans = {}
        self._registered = {}

    def begin(self):
        if self.in_progress:
            return
        self._guard.firewall.filter_defer_apply_on()
        self.in_progress = True
        self.restored, self.failed, self.orphans = [], [], {}
        self._registered = {}
        self._carried = carryover.CarryOver(self._guard.iptables)
        self._carried.begin()
        self._guard.before_write = self._before_write
        if self._carried.unread:
            LOG.error('Start-up resync: %s. Guests are not started or '
                      'resumed until the rules can be read (OSSN-0022)',
                      '; '.join(self._carried.unread.values()))
        LOG.debug('Start-up resync of security group filters begins')

    def _before_write(self):
        """Anything written in the window keeps every chain still carried.

        :raises: carryover.KernelRulesUnreadable
        """
        self._carried.require_read()
        if self.in_progress:
            self._carried.install_all()

    def restore(self, instance, network_info):
        """Register one instance; a failure is logged, never raised."""
        if not self.in_progress:
            return
        instance_id = compat.field(instance, 'id')
        taken = self._carried.take(instance_id)
        try:
            self._guard.ensure_instance_filtered(
                instance, network_info, 'restore the filter of',
                apply_now=False)
        except exception.FilterSetupFailed as exc:
            self.failed.append(str(instance_id))
            self._guard.forget(instance)
            had_chain = carryover.holds_copy(taken)
            self._carried.put_back(instance_id, taken, install=False)
            LOG.error('Start-up resync could not register instance %(id)s '
                      'with the firewall: %(reason)s; %(previous)s',
                      {'id': instance_id, 'reason': exc.reason,
                       'previous': 'its previous security group rules stay '
                       'in force' if had_chain else 'it had no security '
                       'group chain in the kernel; guarded paths establish '
                       'one before the guest starts, or refuse'},
                      instance=instance)
            return
        self._registered[instance_id] = network_info
        self.restored.append(compat.instance_uuid(instance))

    def registered_moments_ago(self, instance, network_info):
        """Was ``instance`` registered by this resync with ``network_info``?

        nova's ``_init_instance`` follows ``plug_vifs`` with
        ``ensure_filtering_rules_for_instance`` (same network_info) for a
        running guest: preparing the filter once more inside the window
        would rebuild the identical chain, doubling the resync's work. Only
        while the window is open (applies deferred, nothing written yet)
        and only while the firewall still holds that registration.
        """
        if not self.in_progress:
            return False
        instance_id = compat.field(instance, 'id')
        if instance_id not in self._registered or not \
                compat.firewall_knows(self._guard.firewall, instance):
            return False
        try:
            return bool(network_info) and \
                self._registered[instance_id] == network_info and \
                compat.recorded_network_info(self._guard.firewall,
                                             instance) == network_info
        except Exception:
            return False

    def finish(self):
        """Write the batch with one iptables-restore and stop deferring.

        :returns: False while the kernel's rules cannot be read: then
            nothing is written and applies stay deferred.
        """
        if not self.in_progress:
            return True
        try:
            self._carried.require_read()
        except carryover.KernelRulesUnreadable as exc:
            LOG.error('Start-up resync wrote nothing: %s; every guest start '
                      'is refused until then', compat.text(exc))
            return False
        self.in_progress = False
        self._registered = {}
        self._guard.before_write = None
        self._settle_unclaimed()
        try:
            self._guard.firewall.filter_defer_apply_off()
        except Exception as exc:
            compat.mark_tables_dirty(self._guard.iptables)
            LOG.error('Start-up resync could not write the security group '
                      'filters of %(n)d instances: %(cause)s; the kernel '
                      'keeps the previous rules, and every guarded guest '
                      'start retries and refuses to start on failure',
                      {'n': len(self.restored),
                       'cause': filtering.describe(exc)})
            return True
        LOG.info('Start-up resync restored the security group filters of '
                 '%(ok)d instances (%(bad)d failed, %(kept)d kept for '
                 'guests nova did not initialise) in one iptables-restore',
                 {'ok': len(self.restored), 'bad': len(self.failed),
                  'kept': len(self.orphans)})
        return True

    def _settle_unclaimed(self):
        """Keep the chains of running guests nobody claimed; drop the rest."""
        lookup = self._lookup()
        dropped = []
        for key in sorted(self._carried.instance_ids):
            addresses = self._carried.addresses(key)
            presence = lookup.presence(key, addresses)
            if presence.runs is False:
                self._carried.drop(key)
                dropped.append(key)
                continue
            self._carried.install(key)
            self.orphans[key] = presence
            why = ('its registration failed' if key in self.failed
                   else 'nova-compute did not initialise it (deleted '
                   'while nova-compute was down, in an error state, or '
                   'the start-up ended early)')
            LOG.warning('Kept the security group chain of instance %(id)s '
                        'in force: domain %(domain)s (%(state)s, addresses '
                        '%(addresses)s) may run and %(why)s; look at that '
                        'guest', {'id': key, 'domain': presence.domain or
                                  'unknown', 'state': presence.state,
                                  'addresses': ', '.join(addresses) or
                                  'none', 'why': why})
        if dropped:
            LOG.info('Start-up resync removed the chains of instances %s: '
                     'no guest of theirs runs', ', '.join(dropped))

    # --- after the start-up ---------------------------------------------

    def claim(self, instance_id, network_info=True):
        """An instance is being registered: its carried copy gives way.

        A registration without interfaces (nova passes an empty info cache
        on) would give the guest a chain with no jump: the copy stays.

        :returns: what was taken, for ``unclaim`` if the registration fails.
        """
        if self._carried is None:
            return None
        if not network_info and str(instance_id) in \
                self._carried.instance_ids:
            LOG.warning('Instance %s is registered without network_info; '
                        'its previous security group chain stays in force',
                        instance_id)
            return None
        taken = self._carried.take(instance_id)
        presence = self.orphans.pop(str(instance_id), None)
        if not carryover.holds_copy(taken):
            return None
        if presence is not None:
            LOG.info('The kept chain of instance %s is replaced by its own '
                     'registration', instance_id)
        return taken, presence

    def unclaim(self, instance_id, claimed):
        """The registration failed: the previous chain stays in force."""
        if claimed is None:
            return
        taken, presence = claimed
        self._carried.put_back(instance_id, taken, install=True)
        if presence is not None:
            self.orphans[str(instance_id)] = presence
        LOG.warning('Registration of instance %s failed; its previous '
                    'security group chain stays in force', instance_id)

    def reap(self, instance_ids=None):
        """Drop kept chains whose guest no longer runs; write if any went."""
        if self.in_progress or not self.orphans:
            return
        lookup = self._lookup()
        gone = []
        for key in sorted(instance_ids or list(self.orphans)):
            key = str(key)
            presence = self.orphans.get(key)
            if presence is None:
                continue
            now = lookup.presence(key, self._carried.addresses(key))
            if now.runs is False:
                self._carried.drop(key)
                del self.orphans[key]
                gone.append(key)
        if not gone:
            return
        LOG.info('Removed the kept chains of instances %s: their guests no '
                 'longer run', ', '.join(gone))
        try:
            self._guard.iptables.apply()
        except Exception as exc:
            compat.mark_tables_dirty(self._guard.iptables)
            LOG.warning('Could not write the removal of kept chains yet: %s',
                        filtering.describe(exc))


def domain_lookup_for(driver):
    return lambda: domains.DomainLookup(driver)
