"""Whether the guest behind a carried chain still runs, as libvirt says.

nova's instance loop leaves running guests out in real cases (an instance
deleted in the database while nova-compute was down, whose domain keeps
running with ``running_deleted_instance_action = log``; an instance in ERROR
on Rocky/Train; a start-up that ended early). Their chain in the kernel is
removed only when libvirt shows the guest is not running: no domain, or a
domain that is shut off or crashed. Any doubt keeps the chain.
"""

from __future__ import absolute_import

import collections
import re

from nova_sgfix import compat

LOG = compat.get_logger(__name__)

#: libvirt's virDomainState values that mean "no guest runs".
_NOT_RUNNING = {5: 'shut off', 6: 'crashed'}
_STATE_NAMES = {0: 'no state', 1: 'running', 2: 'blocked', 3: 'paused',
                4: 'shutting down', 7: 'suspended'}
_LIST_ALL = 1 | 2  # VIR_CONNECT_LIST_DOMAINS_ACTIVE | _INACTIVE
_FILTER_IP = re.compile(
    r"<parameter\s+name=['\"]IPV?6?['\"]\s+value=['\"]([^'\"]+)['\"]")

Presence = collections.namedtuple('Presence', 'runs domain state')
UNKNOWN = 'unknown'


def _state_name(state):
    return _NOT_RUNNING.get(state) or _STATE_NAMES.get(state, str(state))


def _presence(domain):
    state = domain.info()[0]
    return Presence(state not in _NOT_RUNNING, domain.name(),
                    _state_name(state))


class DomainLookup(object):
    """Answers "does the guest of instance N run?" for one check.

    The domain is found by the name nova gives instance N
    (``instance_name_template``), else by the addresses in the domains'
    nwfilter parameters. ``runs`` is True, False, or None when libvirt could
    not be asked.
    """

    def __init__(self, driver):
        self._driver = driver
        self._by_address = None

    def presence(self, instance_id, addresses):
        try:
            connection = compat.libvirt_connection(self._driver)
            found = self._by_name(connection, instance_id)
            if found is None:
                found = self._by_addresses(connection, addresses)
        except Exception as exc:
            LOG.warning('Could not ask libvirt whether the guest of instance '
                        '%(id)s runs: %(cause)s',
                        {'id': instance_id, 'cause': compat.text(exc)})
            return Presence(None, None, UNKNOWN)
        return found or Presence(False, None, 'no domain')

    def _by_name(self, connection, instance_id):
        name = compat.instance_name_for_id(instance_id)
        if not name:
            return None
        domain = compat.domain_by_name(connection, name)
        return _presence(domain) if domain is not None else None

    def _by_addresses(self, connection, addresses):
        if self._by_address is None:
            self._by_address = {}
            for domain in compat.all_domains(connection, _LIST_ALL):
                presence = _presence(domain)
                for address in _FILTER_IP.findall(domain.XMLDesc(0)):
                    if presence.runs or address not in self._by_address:
                        self._by_address[address] = presence
        for address in addresses:
            if address in self._by_address:
                return self._by_address[address]
        return None
