"""The previous nova-compute's instance chains, kept until re-registered.

nova's IptablesManager rewrites every kernel rule that carries its binary
name from what the new process holds in memory. If a guest starts while the
start-up resync is still collecting instances (``resume_state_on_host_boot``,
a retried reboot or power-on inside ``_init_instance``), that first write
would drop the chains of every instance not reached yet, and running guests
would be open until the batch completes. The chains the kernel holds at
``init_host`` are therefore copied into memory; registering an instance
replaces its copy, and copies nobody claimed by the end of the start-up
(instances deleted while nova-compute was down) are removed.
"""

from __future__ import absolute_import

import re

from nova_sgfix import compat

LOG = compat.get_logger(__name__)
_COUNTERS = re.compile(r'^\[\d+:\d+\]\s*')


def _rules_by_chain(saved, binary_name):
    """``{short chain name: [rule text]}`` of the filter table's nova rules."""
    prefix = binary_name + '-'
    chains, in_filter = {}, False
    for line in saved.splitlines():
        line = _COUNTERS.sub('', line.strip())
        if line.startswith('*'):
            in_filter = line == '*filter'
        elif in_filter and line.startswith(':' + prefix):
            chains.setdefault(line[1 + len(prefix):].split()[0], [])
        elif in_filter and line.startswith('-A ' + prefix):
            chain, _sep, rule = line[3:].partition(' ')
            chains.setdefault(chain[len(prefix):], []).append(rule)
    return chains


def _jump_targets(rules, binary_name):
    prefix = '-j %s-' % binary_name
    return set(rule.split(prefix, 1)[1].split()[0]
               for rule in rules if prefix in rule)


class CarriedChains(object):
    """Instance chains copied from the kernel into one filter table."""

    def __init__(self, table, binary_name):
        self.table = table
        self.binary_name = binary_name
        self.instance_ids = set()

    def copy_from(self, saved):
        """Copy the instance chains, their jumps and what they jump to."""
        chains = _rules_by_chain(saved, self.binary_name)
        wanted = [name for name in chains if name.startswith('inst-')]
        needed = set(wanted)
        for name in wanted:
            needed |= _jump_targets(chains[name], self.binary_name)
        for name in sorted(needed):
            if name in self.table.chains or name not in chains:
                continue
            self.table.add_chain(name)
            for rule in chains[name]:
                self.table.add_rule(name, rule)
        for rule in chains.get('local', []):
            if _jump_targets([rule], self.binary_name) & set(wanted):
                self.table.add_rule('local', rule)
        self.instance_ids = set(name[len('inst-'):] for name in wanted)

    def release(self, instance_id):
        """Drop the copy of one instance's chain; True if there was one."""
        key = str(instance_id)
        if key not in self.instance_ids:
            return False
        self.instance_ids.discard(key)
        self.table.remove_chain('inst-%s' % key)
        return True


class CarryOver(object):
    """Carried chains of the IPv4 (and, with use_ipv6, IPv6) filter table."""

    def __init__(self, iptables):
        self.iptables = iptables
        self.families = []

    def begin(self):
        binary_name = compat.iptables_binary_name()
        for ipv4, tables in ((True, self.iptables.ipv4),
                             (False, self.iptables.ipv6)):
            if not ipv4 and not compat.uses_ipv6():
                continue
            carried = CarriedChains(tables['filter'], binary_name)
            try:
                carried.copy_from(compat.saved_rules(self.iptables, ipv4))
            except Exception as exc:
                LOG.warning('Could not read the kernel\'s %(family)s rules '
                            'to keep them in force during the start-up '
                            'resync: %(cause)s',
                            {'family': 'IPv4' if ipv4 else 'IPv6',
                             'cause': exc})
                continue
            self.families.append(carried)

    def release(self, instance_id):
        for carried in self.families:
            carried.release(instance_id)

    def drop_unclaimed(self):
        """Remove copies no instance claimed; returns their instance ids."""
        dropped = set()
        for carried in self.families:
            for key in sorted(carried.instance_ids):
                carried.release(key)
                dropped.add(key)
        return sorted(dropped)
