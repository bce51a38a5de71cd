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

from nova_sgfix.audit import matches as matches_mod
from nova_sgfix.audit import walk as walk_mod

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATUS_NAMES = {OK: 'OK', WARNING: 'WARNING', CRITICAL: 'CRITICAL',
                UNKNOWN: 'UNKNOWN'}
# A paused guest is not reachable yet, but is the moment it is unpaused.
DORMANT_STATES = frozenset(['paused', 'pmsuspended'])
# Worst first: an unreadable guest may be an exposed running one.
_SEVERITY = {OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3}

GuestResult = collections.namedtuple(
    'GuestResult', 'name uuid state ips verdict reason')
Report = collections.namedtuple('Report', 'status results')


def severity(status):
    """Rank of a status for sorting: higher is worse."""
    return _SEVERITY[status]


def worst(statuses):
    """The most severe of some statuses (OK for none)."""
    return max(statuses, key=_SEVERITY.get) if statuses else OK


class FamilyView(object):
    """One address family's filter table, asked per guest address.

    A finding is ``(verdict, text)``: CRITICAL when the packet can be
    accepted outside the guest's own instance chain or the guest has no
    chain, WARNING when that depends on a rule the audit cannot judge.
    """

    def __init__(self, ruleset, binary_name='nova-compute', family=4):
        self.local = binary_name + '-local'
        self.inst_prefix = binary_name + '-inst-'
        self.label = 'ip6tables' if family == 6 else 'iptables'
        chains = ruleset.table('filter') if ruleset is not None else None
        self.walker = None
        self.jumps_by_chain = {}
        if chains is None:
            self.path_problem = 'no filter table in the %s ruleset' % (
                self.label)
            return
        self.path_problem = None
        self.walker = walk_mod.Walker(chains, self.inst_prefix)
        local = self.walker.chains.get(self.local)
        for host, indices in (local.by_host.items() if local else ()):
            for index in indices:
                target = local.rules[index].target
                if target and target.startswith(self.inst_prefix):
                    self.jumps_by_chain.setdefault(target, []).append(host)

    def address_problem(self, addr):
        """Findings for one address, and its instance chain (or None)."""
        if self.path_problem:
            return [(CRITICAL, self.path_problem)], None
        host = matches_mod.address_value(addr)
        own = self.walker.own_chain(self.local, host)
        if own is None:
            return [(CRITICAL, 'no jump in %s' % self.local)], None
        if own not in self.walker.chains:
            return [(CRITICAL, 'chain %s is missing' % own)], None
        summary = self.walker.walk(host, own)
        # The most certain exposure says enough; -v lists no more than that.
        for level, what in summary.exposures[:1]:
            text = walk_mod.describe(what)
            if level == walk_mod.YES:
                return [(CRITICAL, 'accepted by %s' % text)], own
            return [(WARNING, 'may be accepted by %s' % text)], own
        if summary.own == walk_mod.NO:
            return [(WARNING, '%s is not reached from FORWARD' % own)], own
        return [], own

    def chains_problem(self, chains):
        """For an IPv6 NIC whose address is unknown: its chain's jumps."""
        if self.path_problem:
            return [(CRITICAL, self.path_problem)]
        findings = []
        for chain in sorted(chains):
            for host in self.jumps_by_chain.get(chain, ()):
                text = '%s' % matches_mod.format_address(host)
                found, _own = self.address_problem(text)
                findings.extend((v, '%s: %s' % (text, t)) for v, t in found)
                return findings
        return [(CRITICAL, 'no jump in %s to %s' % (
            self.local, ', '.join(sorted(chains)) or 'the instance chain'))]


def _add(findings, addr, problems, warnings):
    for verdict, text in findings:
        (problems if verdict == CRITICAL else warnings).append(
            '%s: %s' % (addr, text) if addr else text)


def _nic_findings(nic, view4, view6, problems, warnings, doubts):
    if nic.filter_name is None:
        doubts.append('interface %s has no nova filterref' % nic.mac)
        return
    if nic.filter_found is False:
        problems.append('nwfilter %s is missing' % nic.filter_name)
    for value in nic.unreadable:
        doubts.append("%s: not an address: '%s'" % (nic.filter_name, value))
    if not nic.ipv4 and not nic.has_ipv6:
        if nic.filter_found:
            doubts.append('nwfilter %s names no fixed IP' % nic.filter_name)
        elif nic.filter_found is None:
            doubts.append('no fixed IP known for %s: %s' % (
                nic.mac, nic.filter_error or 'nwfilter not readable'))
        return
    chains = set()
    for addr in nic.ipv4:
        if view4 is None:
            doubts.append('%s: no iptables ruleset was read' % addr)
            continue
        findings, chain = view4.address_problem(addr)
        _add(findings, addr, problems, warnings)
        if chain:
            chains.add(chain)
    if not nic.has_ipv6:
        return
    if view6 is None:
        doubts.append('%s has IPv6 but no ip6tables ruleset was read'
                      % nic.mac)
        return
    for addr in nic.ipv6:
        findings, _chain = view6.address_problem(addr)
        _add(findings, addr, problems, warnings)
    if not nic.ipv6:
        _add(view6.chains_problem(chains), 'IPv6 of %s' % nic.mac,
             problems, warnings)


def audit_guest(guest, view4, view6=None):
    """Give one active guest its verdict.

    Any gap is CRITICAL for a running guest and WARNING for a paused one;
    a guest the audit cannot read is UNKNOWN, never OK.
    """
    ips = [a for nic in guest.nics for a in nic.ipv4 + nic.ipv6]
    if guest.error:
        return GuestResult(guest.name, guest.uuid, guest.state, ips,
                           UNKNOWN, guest.error)
    problems, warnings, doubts = [], [], []
    for nic in guest.nics:
        _nic_findings(nic, view4, view6, problems, warnings, doubts)
    if problems:
        verdict = WARNING if guest.state in DORMANT_STATES else CRITICAL
    elif doubts:
        verdict = UNKNOWN
    elif warnings:
        verdict = WARNING
    else:
        verdict = OK
    reason = '; '.join(problems + warnings + doubts) or (
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
    view4 = (FamilyView(ruleset4, binary_name, 4)
             if ruleset4 is not None else None)
    view6 = (FamilyView(ruleset6, binary_name, 6)
             if ruleset6 is not None else None)
    results = [audit_guest(g, view4, view6) for g in guests if g.active]
    return Report(worst([r.verdict for r in results]), results)
