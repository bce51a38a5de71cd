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
    text = u' '.join(compat.text(exc).split())
    return u'%s: %s' % (type(exc).__name__, text) if text else \
        compat.text(type(exc).__name__)


class FilterGuard(object):
    """Makes the kernel hold an instance's filter before its guest runs."""

    def __init__(self, firewall):
        self.firewall = firewall
        #: Set by the start-up resync: called before anything is written
        #: while it runs; raises when nothing may be written.
        self.before_write = None

    @property
    def iptables(self):
        return self.firewall.iptables

    def network_info_for(self, instance, operation):
        """The networks to filter for a path that receives no network_info.

        Taken where nova's own paths take it, the instance's network info
        cache (it follows fixed IPs added later, which the firewall driver's
        record does not), else that record.

        :raises: NetworkInfoUnavailable
        """
        try:
            network_info = compat.cached_network_info(
                instance, compat.wants_legacy_network_info(self.firewall))
        except Exception as exc:
            LOG.warning('Could not read the network info cache: %s',
                        describe(exc), instance=instance)
            network_info = None
        if not network_info:
            network_info = compat.recorded_network_info(self.firewall,
                                                        instance)
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
        with self._refusing(instance, operation,
                            'security group filter could not be established'):
            if apply_now:
                self._check_writable()
            self.firewall.setup_basic_filtering(instance, network_info)
            if known:
                compat.remember_network_info(self.firewall, instance,
                                             network_info)
                self.firewall.refresh_instance_security_rules(instance)
            else:
                self.firewall.prepare_instance_filter(instance, network_info)
            if apply_now:
                self._write_if_deferred()
        if apply_now:
            LOG.info('Established security group filter before %s',
                     operation, instance=instance)

    def apply_pending(self, instance, operation):
        """Write rules whose apply is deferred before a guest starts.

        While a start-up resync (or nova's ``defer_iptables_apply``) defers
        applies, a guest started in between would run before its rules are
        in the kernel.

        :raises: FilterSetupFailed
        """
        with self._refusing(instance, operation,
                            'pending security group rules could not be '
                            'written'):
            self._check_writable()
            self._write_if_deferred()

    def forget(self, instance):
        """Drop the firewall's record of a registration that failed."""
        compat.forget_instance(self.firewall, instance)

    def _check_writable(self):
        if self.before_write is not None:
            self.before_write()

    @contextlib.contextmanager
    def _refusing(self, instance, operation, failure):
        """Turn any failure into FilterSetupFailed, ready for a retry.

        The tables are marked dirty so that the next apply writes them again
        (nova clears the flags before its iptables-restore runs).
        """
        try:
            yield
        except Exception as exc:
            compat.mark_tables_dirty(self.iptables)
            LOG.error('Refusing to %(op)s: %(failure)s: %(cause)s',
                      {'op': operation, 'failure': failure,
                       'cause': describe(exc)}, instance=instance)
            raise exception.FilterSetupFailed(compat.instance_uuid(instance),
                                              operation, describe(exc))

    def _write_if_deferred(self):
        """Write the tables now if applies are deferred, else do nothing.

        The firewall driver's own apply() already wrote them when nothing
        defers. The deferral flag is shared by every green thread and owned
        by whoever deferred (the start-up resync, nova's manager): it is
        never toggled here. nova's locked writer is called instead, which
        returns only once this thread's rules are in the kernel.
        """
        if compat.applies_deferred(self.iptables):
            compat.write_tables(self.iptables)
