"""Errors that nova-sgfix raises.

They derive from nova's own base exception, so the compute manager records
them as the instance fault the operator sees in ``nova show``.
"""

from __future__ import absolute_import

from nova import exception as nova_exception

from nova_sgfix import compat


class SgfixError(nova_exception.NovaException):
    """Base class; carries a fully formatted message."""

    def __init__(self, message):
        message = compat.text(message)
        super(SgfixError, self).__init__(message=message)
        self.sgfix_message = message

    def __str__(self):
        if not isinstance(self.sgfix_message, str):  # Python 2: unicode
            return self.sgfix_message.encode('utf-8')
        return self.sgfix_message

    def __unicode__(self):
        return self.sgfix_message


class FilterSetupFailed(SgfixError):
    """The instance's filter could not be established: it is not started."""

    def __init__(self, instance_uuid, operation, reason):
        self.instance_uuid = instance_uuid
        self.operation = operation
        self.reason = reason
        super(FilterSetupFailed, self).__init__(
            u'nova-sgfix refused to %(op)s instance %(uuid)s: its '
            u'security-group filter could not be established (%(reason)s). '
            u'The guest was not started or resumed; its disks and domain '
            u'definition are unchanged. Fix the cause and retry '
            u'(OSSN-0022).' % {'op': compat.text(operation),
                               'uuid': compat.text(instance_uuid),
                               'reason': compat.text(reason)})


class NetworkInfoUnavailable(FilterSetupFailed):
    """Neither the firewall driver nor the info cache knows the networks."""

    def __init__(self, instance_uuid, operation):
        super(NetworkInfoUnavailable, self).__init__(
            instance_uuid, operation,
            'no network_info: the firewall driver has no record of the '
            'instance and its network info cache is empty')


class FirewallDriverUnavailable(SgfixError):
    """This nova has no nova-network firewall driver to protect."""

    def __init__(self, nova_version):
        super(FirewallDriverUnavailable, self).__init__(
            'nova-sgfix is not needed with nova %s: this release has no '
            'nova-network firewall driver (nova.virt.firewall was removed '
            'in 21.0.0 Ussuri), security groups are enforced by Neutron, '
            'and OSSN-0022 does not apply. Set compute_driver = '
            'libvirt.LibvirtDriver and uninstall nova-sgfix.' % nova_version)
