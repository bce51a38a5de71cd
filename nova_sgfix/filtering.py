"""Establishing an instance's security-group filter, or refusing to go on.

The stock libvirt driver sets a filter up only inside
``_create_domain_and_network``; the paths that bypass it start guests with
whatever the kernel happens to hold (OSSN-0022, bug 1316822). ``FilterGuard``
does the same work those paths skip, with the firewall driver's own public
calls, and turns every failure into ``FilterSetupFailed`` so that the guest is
not started.
"""

from __future__ import absolute_import

import contextlib

from nova_sgfix import compat
from nova_sgfix import exception

LOG = compat.get_logger(__name__)


def describe(exc):
    """A one-line cause for the operator, including a command's stderr."""
    text = ' '.join(str(exc).split())
    return '%s: %s' % (type(exc).__name__, text) if text else \
        type(exc).__name__


class FilterGuard(object):
    """Makes the kernel hold an instance's filter before its guest runs."""

    def __init__(self, firewall):
        self.firewall = firewall

    @property
    def iptables(self):
        return self.firewall.iptables

    def network_info_for(self, instance, operation):
        """The networks to filter for a path that receives no network_info.

        Taken where nova itself would look: the firewall driver's record of
        the instance, else the instance's network info cache.
        """
        network_info = compat.recorded_network_info(self.firewall, instance)
        if not network_info:
            network_info = compat.cached_network_info(
                instance, compat.wants_legacy_network_info(self.firewall))
        if not network_info:
            raise exception.NetworkInfoUnavailable(
                compat.instance_uuid(instance), operation)
        return network_info

    def ensure_instance_filtered(self, instance, network_info, operation,
                                 apply_now=True):
        """Establish the nwfilter and the iptables chain of ``instance``.

        A known instance's chain is rebuilt from the current security-group
        rules (``prepare_instance_filter`` alone would append changed rules
        behind the fallback DROP and keep stale ones); an unknown one, e.g.
        after a restart, is registered with ``network_info``. Either way one
        iptables-restore writes the result atomically, so the guest's old
        chain is replaced without a gap.

        :param operation: what is about to happen, for messages
            ("soft reboot", "unpause", ...).
        :param apply_now: False only while a start-up resync batches many
            instances into one iptables-restore.
        :raises: FilterSetupFailed, NetworkInfoUnavailable
        """
        uuid = compat.instance_uuid(instance)
        if not network_info:
            raise exception.NetworkInfoUnavailable(uuid, operation)
        known = compat.firewall_knows(self.firewall, instance)
        LOG.debug('Establishing security group filter before %(op)s '
                  '(firewall driver knew the instance: %(known)s)',
                  {'op': operation, 'known': known}, instance=instance)
        try:
            self.firewall.setup_basic_filtering(instance, network_info)
            with self._applying(apply_now):
                if known:
                    compat.remember_network_info(self.firewall, instance,
                                                 network_info)
                    self.firewall.refresh_instance_security_rules(instance)
                else:
                    self.firewall.prepare_instance_filter(instance,
                                                          network_info)
        except Exception as exc:
            compat.mark_tables_dirty(self.iptables)
            LOG.error('Refusing to %(op)s: security group filter could not '
                      'be established: %(cause)s',
                      {'op': operation, 'cause': describe(exc)},
                      instance=instance)
            raise exception.FilterSetupFailed(uuid, operation, describe(exc))
        if apply_now:
            LOG.info('Established security group filter before %s',
                     operation, instance=instance)

    def apply_pending(self, instance, operation):
        """Write rules whose apply is deferred before a guest starts.

        While a start-up resync (or nova's ``defer_iptables_apply``) defers
        applies, a guest started in between would run before its rules are
        in the kernel.
        """
        if not getattr(self.iptables, 'iptables_apply_deferred', False):
            return
        try:
            with self._applying(True):
                self.iptables.apply()
        except Exception as exc:
            compat.mark_tables_dirty(self.iptables)
            uuid = compat.instance_uuid(instance)
            LOG.error('Refusing to %(op)s: pending security group rules '
                      'could not be written: %(cause)s',
                      {'op': operation, 'cause': describe(exc)},
                      instance=instance)
            raise exception.FilterSetupFailed(uuid, operation, describe(exc))

    @contextlib.contextmanager
    def _applying(self, apply_now):
        """Suspend a deferred apply for the duration, if asked to."""
        iptables = self.iptables
        deferred = getattr(iptables, 'iptables_apply_deferred', False)
        if apply_now and deferred:
            iptables.iptables_apply_deferred = False
        try:
            yield
        finally:
            if apply_now and deferred:
                iptables.iptables_apply_deferred = True
