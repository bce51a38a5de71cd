"""Hooks on the firewall driver for what nova-sgfix must see of its calls.

nova calls the firewall driver directly (Grizzly and Havana from
``_cleanup``, every release from ``_create_domain_and_network``), so these
wrap the driver instance's own methods, as ``chain_removal`` wraps the
tables:

* ``prepare_instance_filter`` claims a chain carried over from the previous
  process before the instance's fresh chain is built (no stale or doubled
  rules);
* ``unfilter_instance`` lets a kept orphan chain go once its domain is gone;
* both are skipped for an instance whose filter a guarded path has just
  established and which nova's hard-reboot path would otherwise tear down
  and rebuild identically (a soft reboot of a stopped guest then costs no
  more iptables-restore runs than the hard reboot it stands in for);
* ``setup_basic_filtering`` and ``prepare_instance_filter`` are skipped for
  an instance the start-up resync registered moments ago with the same
  network_info (nova's ``ensure_filtering_rules_for_instance`` after
  ``plug_vifs``), so a restart sets up each running guest's nwfilter and
  chain once, as stock nova does.
"""

from __future__ import absolute_import

import contextlib
import functools

from nova_sgfix import compat

LOG = compat.get_logger(__name__)


class FirewallHooks(object):
    """Wraps one firewall driver instance's registration and teardown.

    :param claim: ``claim(instance_id, network_info)`` before a
        registration; what it returns goes to
        ``unclaim(instance_id, token)`` if the registration fails.
    :param unfiltered: ``unfiltered(instance_id)`` after a teardown.
    :param registered: ``registered(instance, network_info)``: True if that
        exact registration was just made and a new one would rebuild the
        same chain.
    """

    def __init__(self, firewall, claim, unclaim, unfiltered,
                 registered=None):
        self.firewall = firewall
        self._claim = claim
        self._unclaim = unclaim
        self._unfiltered = unfiltered
        self._registered = registered or (lambda instance, info: False)
        self._established = set()

    def install(self):
        if getattr(self.firewall.prepare_instance_filter, 'sgfix_hooked',
                   False):
            return
        self._wrap('prepare_instance_filter', self._prepare)
        self._wrap('unfilter_instance', self._unfilter)
        self._wrap_basic_filtering()

    def _wrap_basic_filtering(self):
        original = self.firewall.setup_basic_filtering

        @functools.wraps(original)
        def setup_basic_filtering(instance, network_info, *args, **kwargs):
            if self._registered(instance, network_info):
                LOG.debug('setup_basic_filtering skipped: the start-up '
                          'resync set it up with the same network_info',
                          instance=instance)
                return None
            return original(instance, network_info, *args, **kwargs)

        self.firewall.setup_basic_filtering = setup_basic_filtering

    def _wrap(self, name, hook):
        original = getattr(self.firewall, name)

        @functools.wraps(original)
        def hooked(instance, *args, **kwargs):
            if compat.field(instance, 'id') in self._established:
                LOG.debug('%s skipped: the filter was established moments '
                          'ago and is kept as it is', name, instance=instance)
                return None
            return hook(original, instance, *args, **kwargs)

        hooked.sgfix_hooked = True
        setattr(self.firewall, name, hooked)

    def _prepare(self, original, instance, network_info, *args, **kwargs):
        if self._registered(instance, network_info):
            LOG.debug('prepare_instance_filter skipped: the start-up resync '
                      'registered this instance with the same network_info',
                      instance=instance)
            return None
        instance_id = compat.field(instance, 'id')
        token = self._claim(instance_id, network_info)
        try:
            return original(instance, network_info, *args, **kwargs)
        except Exception:
            self._unclaim(instance_id, token)
            raise

    def _unfilter(self, original, instance, *args, **kwargs):
        result = original(instance, *args, **kwargs)
        self._unfiltered(compat.field(instance, 'id'))
        return result

    @contextlib.contextmanager
    def keeping_filter_of(self, instance):
        """Within: nova's teardown and re-prepare of ``instance`` are skipped.

        Only for a guest that is not running and whose filter was just
        established with the network_info nova is about to use.
        """
        instance_id = compat.field(instance, 'id')
        self._established.add(instance_id)
        try:
            yield
        finally:
            self._established.discard(instance_id)
