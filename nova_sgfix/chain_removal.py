"""Chain removal that deletes only the jumps to the removed chain.

nova-network's ``IptablesTable.remove_chain`` (Grizzly through Train) drops
every rule containing ``-j <binary>-<chain>`` as a substring. Removing
``inst-1`` (a hard reboot, a delete, a rule refresh of instance 1) therefore
also drops the ``nova-compute-local`` jumps of instances 10-19, 100-199, ...:
those guests keep running, with no security group, until something rebuilds
their chains. nova-sgfix keeps nova's removal and puts back the rules that
jumped to a *different* chain.
"""

from __future__ import absolute_import

import functools


def _jump_target(rule_text):
    words = rule_text.split()
    for position, word in enumerate(words[:-1]):
        if word in ('-j', '--jump'):
            return words[position + 1]
    return None


def _collateral(table, name, wrap, binary_name):
    """Rules nova's substring match would remove that jump elsewhere."""
    target = '%s-%s' % (binary_name, name) if wrap else name
    snippet = '-j %s' % target
    return [rule for rule in table.rules
            if rule.chain != name and snippet in rule.rule and
            _jump_target(rule.rule) != target]


def install(table, binary_name_of):
    """Wrap ``table.remove_chain``; idempotent.

    :param binary_name_of: callable returning nova's current ``binary_name``
        (read at call time: nova computes it at import).
    """
    original = table.remove_chain
    if getattr(original, 'sgfix_exact', False):
        return

    @functools.wraps(original)
    def remove_chain(name, wrap=True):
        before = list(table.rules)
        keep = _collateral(table, name, wrap, binary_name_of())
        original(name, wrap)
        if keep:
            survivors = set(id(rule) for rule in table.rules)
            survivors.update(id(rule) for rule in keep)
            table.rules = [rule for rule in before if id(rule) in survivors]
            if not wrap:
                table.remove_rules = [rule for rule in table.remove_rules
                                      if rule not in keep]

    remove_chain.sgfix_exact = True
    table.remove_chain = remove_chain


def install_on_manager(iptables_manager, binary_name_of):
    """Exact chain removal for every filter table of an IptablesManager."""
    for tables in (iptables_manager.ipv4, iptables_manager.ipv6):
        if 'filter' in tables:
            install(tables['filter'], binary_name_of)
