"""Reads what the kernel's filter table really holds for an instance."""

from __future__ import absolute_import

import collections

Ruleset = collections.namedtuple('Ruleset', 'chains rules')


def parse(saved):
    """Chains and their rules from ``iptables-save -t filter`` output."""
    chains = set()
    rules = collections.defaultdict(list)
    for line in saved.splitlines():
        if line.startswith(':'):
            chains.add(line[1:].split()[0])
        elif line.startswith('-A '):
            chain, _sep, rest = line[3:].partition(' ')
            rules[chain].append(rest)
    return Ruleset(chains, dict(rules))


def instance_chain(instance_id, binary_name='nova-compute'):
    return '%s-inst-%s' % (binary_name, instance_id)


def guest_is_filtered(ruleset, instance_id, ip, binary_name='nova-compute',
                      prefix_len=32):
    """True if traffic to ``ip`` is sent through the instance's chain.

    :param prefix_len: 32 for IPv4; ip6tables-save prints 128 for IPv6.
    """
    chain = instance_chain(instance_id, binary_name)
    local = ruleset.rules.get('%s-local' % binary_name, [])
    jump = '-d %s/%d -j %s' % (ip, prefix_len, chain)
    return chain in ruleset.chains and jump in local


def security_group_accepts(ruleset, instance_id, binary_name='nova-compute'):
    """The ACCEPT rules of the chain that come from security-group rules."""
    chain = instance_chain(instance_id, binary_name)
    accepted = []
    for rule in ruleset.rules.get(chain, []):
        if (rule.endswith('-j ACCEPT') and '--dport' in rule and
                '--sport 67' not in rule):
            accepted.append(rule)
    return accepted
