"""Decide, per guest, whether nova's security-group filter is in force.

A fixed IP is filtered when, in the filter table, FORWARD jumps to
``nova-filter-top``, that jumps to ``<binary>-local``, ``<binary>-local``
sends ``-d <ip>`` to an instance chain ``<binary>-inst-<id>``, and that
chain ends in the ``<binary>-sg-fallback`` chain, which DROPs. This is the
shape nova's IptablesFirewallDriver writes; when nova-compute restarts and
forgets an instance, the chain and the jump vanish and the guest's traffic
falls through to the FORWARD policy (bug 1316822). The check follows that
structure; it does not simulate packets through unrelated rules.

Every lookup is a dictionary access prepared once per ruleset, so the cost
is linear in rules plus guests.
"""

from __future__ import absolute_import
from __future__ import print_function

import collections

from nova_sgfix.audit import guests as guests_mod
from nova_sgfix.audit import ruleset as ruleset_mod

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATUS_NAMES = {OK: 'OK', WARNING: 'WARNING', CRITICAL: 'CRITICAL',
                UNKNOWN: 'UNKNOWN'}
# A paused guest is not reachable yet, but is the moment it is unpaused.
DORMANT_STATES = frozenset(['paused', 'pmsuspended'])
# Worst first: an unreadable guest may be an exposed running one.
_SEVERITY = {OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3}
TOP_CHAIN = 'nova-filter-top'
DROPPING_TARGETS = frozenset(['DROP', 'REJECT'])

GuestResult = collections.namedtuple(
    'GuestResult', 'name uuid state ips verdict reason')
Report = collections.namedtuple('Report', 'status results')


def severity(status):
    """Rank of a status for sorting: higher is worse."""
    return _SEVERITY[status]


def worst(statuses):
    """The most severe of some statuses (OK for none)."""
    return max(statuses, key=_SEVERITY.get) if statuses else OK


def _reaches(chains, name, target):
    """Problem text unless ``name`` jumps unconditionally to ``target``."""
    chain = chains.get(name)
    if chain is None:
        return 'chain %s is missing' % name
    for rule in chain.rules:
        if rule.unconditional:
            if rule.target == target:
                return None
            if rule.target in ruleset_mod.PASSING_TARGETS:
                return '%s lets traffic through before %s' % (name, target)
    return '%s does not jump to %s' % (name, target)


class FamilyView(object):
    """One address family's filter table, indexed for per-IP questions."""

    def __init__(self, ruleset, binary_name='nova-compute', family=4):
        self.local = binary_name + '-local'
        self.inst_prefix = binary_name + '-inst-'
        self.fallback = binary_name + '-sg-fallback'
        self.label = 'ip6tables' if family == 6 else 'iptables'
        self._chain_problems = {}
        self.jumps = {}
        self.jumps_by_chain = {}
        chains = ruleset.table('filter') if ruleset is not None else None
        self.chains = chains or {}
        if chains is None:
            self.path_problem = 'no filter table in the %s ruleset' % (
                self.label)
            return
        self.path_problem = (_reaches(chains, 'FORWARD', TOP_CHAIN) or
                             _reaches(chains, TOP_CHAIN, self.local))
        if self.path_problem is None:
            self._index_local(chains[self.local])

    def _index_local(self, chain):
        for rule in chain.rules:
            if rule.unconditional:
                if rule.target in ruleset_mod.PASSING_TARGETS:
                    break
                continue
            m = rule.matches
            if len(m) != 2 or m[0] not in ('-d', '--destination'):
                continue
            parsed = guests_mod.host_address(m[1])
            if parsed is None or parsed[1] in self.jumps:
                continue
            self.jumps[parsed[1]] = rule.target
            self.jumps_by_chain.setdefault(rule.target, []).append(parsed[1])

    def chain_problem(self, name):
        """Problem text unless chain ``name`` ends in the DROP fallback."""
        if name not in self._chain_problems:
            problem = _reaches(self.chains, name, self.fallback)
            if problem is None:
                problem = self._fallback_problem()
            self._chain_problems[name] = problem
        return self._chain_problems[name]

    def _fallback_problem(self):
        chain = self.chains.get(self.fallback)
        if chain is None:
            return 'chain %s is missing' % self.fallback
        for rule in chain.rules:
            if rule.unconditional:
                if rule.target in DROPPING_TARGETS:
                    return None
                if rule.target in ruleset_mod.PASSING_TARGETS:
                    break
        return '%s does not DROP' % self.fallback

    def address_problem(self, addr):
        """Problem text unless ``addr`` reaches a dropping instance chain.

        :returns: ``(problem or None, instance chain or None)``
        """
        if self.path_problem:
            return self.path_problem, None
        target = self.jumps.get(addr)
        if target is None:
            return 'no jump in %s' % self.local, None
        if not target.startswith(self.inst_prefix):
            return ('%s sends it to %s, not to an instance chain'
                    % (self.local, target)), None
        return self.chain_problem(target), target

    def chains_problem(self, chains):
        """For an IPv6 NIC whose address is unknown: any jump to its chain."""
        if self.path_problem:
            return self.path_problem
        for chain in chains:
            if self.jumps_by_chain.get(chain):
                return self.chain_problem(chain)
        return 'no jump in %s to %s' % (self.local, ', '.join(sorted(chains))
                                        or 'the instance chain')


def _nic_findings(nic, view4, view6, problems, doubts):
    if nic.filter_name is None:
        doubts.append('interface %s has no nova filterref' % nic.mac)
        return
    if not nic.filter_found:
        problems.append('nwfilter %s is missing' % nic.filter_name)
    for value in nic.unreadable:
        doubts.append("%s: not an address: '%s'" % (nic.filter_name, value))
    if not nic.ipv4 and not nic.has_ipv6:
        if nic.filter_found:
            doubts.append('nwfilter %s names no fixed IP' % nic.filter_name)
        return
    chains = set()
    for addr in nic.ipv4:
        problem, chain = view4.address_problem(addr)
        if problem:
            problems.append('%s: %s' % (addr, problem))
        elif chain:
            chains.add(chain)
    if not nic.has_ipv6:
        return
    if view6 is None:
        doubts.append('%s has IPv6 but no ip6tables ruleset was read'
                      % nic.mac)
        return
    for addr in nic.ipv6:
        problem, _chain = view6.address_problem(addr)
        if problem:
            problems.append('%s: %s' % (addr, problem))
    if not nic.ipv6:
        problem = view6.chains_problem(chains)
        if problem:
            problems.append('IPv6 of %s: %s' % (nic.mac, problem))


def audit_guest(guest, view4, view6=None):
    """Give one active guest its verdict.

    Any gap is CRITICAL for a running guest and WARNING for a paused one;
    a guest the audit cannot read is UNKNOWN, never OK.
    """
    ips = [a for nic in guest.nics for a in nic.ipv4 + nic.ipv6]
    if guest.error:
        return GuestResult(guest.name, guest.uuid, guest.state, ips,
                           UNKNOWN, guest.error)
    problems, doubts = [], []
    for nic in guest.nics:
        _nic_findings(nic, view4, view6, problems, doubts)
    if problems:
        verdict = WARNING if guest.state in DORMANT_STATES else CRITICAL
    elif doubts:
        verdict = UNKNOWN
    else:
        verdict = OK
    reason = '; '.join(problems + doubts) or (
        'filtered' if guest.nics else 'no network interfaces')
    return GuestResult(guest.name, guest.uuid, guest.state, ips, verdict,
                       reason)


def needs_ipv6(guests):
    """Whether any active guest makes the ip6tables ruleset worth reading."""
    return any(nic.has_ipv6 for g in guests if g.active for nic in g.nics)


def audit(guests, ruleset4, ruleset6=None, binary_name='nova-compute'):
    """Audit every active guest.

    :param guests: :class:`nova_sgfix.audit.guests.Guest` objects; inactive
        ones are skipped, their filter is rebuilt when they start
    :param ruleset4: the parsed iptables ruleset
    :param ruleset6: the parsed ip6tables ruleset, or None if not read
    :returns: a :class:`Report`
    """
    view4 = FamilyView(ruleset4, binary_name, 4)
    view6 = (FamilyView(ruleset6, binary_name, 6)
             if ruleset6 is not None else None)
    results = [audit_guest(g, view4, view6) for g in guests if g.active]
    return Report(worst([r.verdict for r in results]), results)
