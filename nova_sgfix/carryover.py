"""The previous nova-compute's instance chains, kept while their guest may run.

nova's IptablesManager rewrites every kernel rule that carries its binary
name from what the new process holds in memory. The chains the kernel holds
when the start-up resync begins are therefore read once and kept as copies:

* a copy goes into the in-memory tables before anything is written while the
  resync collects instances (a guest started inside ``_init_instance`` would
  otherwise drop the chains of every running guest not reached yet);
* an instance's registration takes its copy out first (its fresh chain
  replaces it); a registration that fails puts the copy back, so the previous
  rules stay in force;
* a copy nobody claimed is dropped only when its guest is known not to run
  (see ``resync``); otherwise it stays in force as an orphan.

Copies are only put into the tables when a write needs them, so a start-up
with no early guest start costs one read and one parse, linear in the rules.
"""

from __future__ import absolute_import

import re

from nova_sgfix import compat

LOG = compat.get_logger(__name__)
_COUNTERS = re.compile(r'^\[\d+:\d+\]\s*')
_DESTINATION = re.compile(r'(?:^|\s)-d\s+(\S+?)(?:/\d+)?(?:\s|$)')


class KernelRulesUnreadable(Exception):
    """The kernel's rules could not be read: nothing may be written."""


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


def _jump_target(rule, binary_name):
    prefix = '-j %s-' % binary_name
    if prefix not in rule:
        return None
    return rule.split(prefix, 1)[1].split()[0]


class Copy(object):
    """One instance chain as the kernel held it, with its jumps."""

    def __init__(self, rules, jumps):
        self.rules = rules
        self.jumps = jumps
        self.addresses = sorted(set(
            match.group(1) for jump in jumps
            for match in [_DESTINATION.search(jump)] if match))


class CarriedChains(object):
    """Instance chains copied from the kernel for one filter table."""

    def __init__(self, table, binary_name):
        self.table = table
        self.binary_name = binary_name
        self.copies = {}
        self._support = {}
        self._installed = set()

    @property
    def instance_ids(self):
        return set(self.copies)

    def copy_from(self, saved):
        """Keep the instance chains, their jumps and what they jump to."""
        chains = _rules_by_chain(saved, self.binary_name)
        jumps = {}
        for rule in chains.get('local', []):
            target = _jump_target(rule, self.binary_name)
            if target and target.startswith('inst-'):
                jumps.setdefault(target, []).append(rule)
        for name, rules in chains.items():
            if not name.startswith('inst-'):
                continue
            self.copies[name[len('inst-'):]] = Copy(rules,
                                                    jumps.get(name, []))
            for rule in rules:
                target = _jump_target(rule, self.binary_name)
                if target in chains and not target.startswith('inst-'):
                    self._support[target] = chains[target]

    def addresses(self, instance_id):
        copy = self.copies.get(str(instance_id))
        return copy.addresses if copy else []

    def install(self, instance_id):
        """Put one copy into the in-memory table (idempotent)."""
        key = str(instance_id)
        copy = self.copies.get(key)
        if copy is None or key in self._installed:
            return
        for name, rules in sorted(self._support.items()):
            if name not in self.table.chains:
                self.table.add_chain(name)
                for rule in rules:
                    self.table.add_rule(name, rule)
        self.table.add_chain('inst-' + key)
        for rule in copy.rules:
            self.table.add_rule('inst-' + key, rule)
        for rule in copy.jumps:
            self.table.add_rule('local', rule)
        self._installed.add(key)

    def install_all(self):
        for key in sorted(self.copies):
            self.install(key)

    def take(self, instance_id):
        """Remove one copy from memory; returns it (None if there was none)."""
        key = str(instance_id)
        copy = self.copies.pop(key, None)
        if key in self._installed:
            self._installed.discard(key)
            self.table.remove_chain('inst-' + key)
        return copy

    def put_back(self, instance_id, copy, install):
        """Reinstate a copy after a failed registration.

        Whatever the registration left in the chain goes first.
        """
        key = str(instance_id)
        if 'inst-' + key in self.table.chains:
            self.table.remove_chain('inst-' + key)
        self.copies[key] = copy
        if install:
            self.install(key)


def holds_copy(taken):
    """True if what ``CarryOver.take`` returned holds any chain."""
    return any(copy is not None for copy in taken.values())


class CarryOver(object):
    """Carried chains of the IPv4 (and, with use_ipv6, IPv6) filter table."""

    def __init__(self, iptables):
        self.iptables = iptables
        self.families = {}
        self.unread = {}

    def begin(self):
        """Read the kernel; a family that cannot be read stays ``unread``."""
        self.families, self.unread = {}, {}
        for ipv4 in (True, False):
            if ipv4 or compat.uses_ipv6():
                self.unread[ipv4] = None
        self.retry_unread()

    def retry_unread(self):
        """Try the unread families again; returns the causes still failing."""
        binary_name = compat.iptables_binary_name()
        for ipv4 in sorted(self.unread):
            tables = self.iptables.ipv4 if ipv4 else self.iptables.ipv6
            carried = CarriedChains(tables['filter'], binary_name)
            try:
                carried.copy_from(compat.saved_rules(self.iptables, ipv4))
            except Exception as exc:
                self.unread[ipv4] = u'%s rules: %s' % (
                    'IPv4' if ipv4 else 'IPv6', compat.text(exc))
                continue
            del self.unread[ipv4]
            self.families[ipv4] = carried
        return [self.unread[ipv4] for ipv4 in sorted(self.unread)]

    def require_read(self):
        """:raises: KernelRulesUnreadable while a family is unread."""
        causes = self.retry_unread() if self.unread else []
        if causes:
            raise KernelRulesUnreadable(
                u'the kernel\'s rules could not be read when nova-compute '
                u'started (%s); nothing is written, so that no running '
                u'guest loses its chain, until they can be read'
                % u'; '.join(causes))

    @property
    def instance_ids(self):
        ids = set()
        for carried in self.families.values():
            ids |= carried.instance_ids
        return ids

    def addresses(self, instance_id):
        found = []
        for carried in self.families.values():
            found.extend(carried.addresses(instance_id))
        return found

    def install(self, instance_id):
        for carried in self.families.values():
            carried.install(instance_id)

    def install_all(self):
        for carried in self.families.values():
            carried.install_all()

    def take(self, instance_id):
        return dict((ipv4, carried.take(instance_id))
                    for ipv4, carried in self.families.items())

    def put_back(self, instance_id, taken, install):
        for ipv4, copy in taken.items():
            if copy is not None and ipv4 in self.families:
                self.families[ipv4].put_back(instance_id, copy, install)

    def drop(self, instance_id):
        """Forget a copy, remove it from the tables; True if there was one."""
        return holds_copy(self.take(instance_id))
