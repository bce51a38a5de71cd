"""nova's iptables commands, run in the namespace, and what the kernel holds.

``NamespaceIptables`` has the signature of nova's ``utils.execute`` and is
handed to ``linux_net.IptablesManager(execute=...)``: the real manager of the
tree writes the namespace's kernel tables, never the host's.
"""

from __future__ import absolute_import

from tests.functional.harness import kernel_rules
from tests.functional.harness import netns

ALLOWED = ('iptables-save', 'iptables-restore', 'ip6tables-save',
           'ip6tables-restore')
BINARY = 'nova-compute'


class CommandFailed(Exception):
    """iptables-save/-restore failed in the namespace."""


class NamespaceIptables(object):
    """A command runner with nova's ``execute`` signature."""

    def __init__(self, namespace):
        self.namespace = namespace
        self.restores = 0

    def __call__(self, cmd, *args, **kwargs):
        if cmd not in ALLOWED:
            raise AssertionError('nova asked to run %s: only iptables '
                                 'commands are expected' % cmd)
        if cmd.endswith('-restore'):
            self.restores += 1
        argv = [cmd] + [str(arg) for arg in args]
        rc, out, err = netns.run(self.namespace, argv,
                                 process_input=kwargs.get('process_input'),
                                 check=False)
        if rc != 0:
            raise CommandFailed('%s exited %d: %s' % (' '.join(argv), rc,
                                                      err.strip()))
        return out, err

    def ruleset(self):
        _rc, out, _err = netns.run(self.namespace,
                                   ['iptables-save', '-t', 'filter'])
        return kernel_rules.parse(out)


def instance_chain(instance_id):
    return '%s-inst-%s' % (BINARY, instance_id)


def missing_filter(ruleset, instance_id, ip, sg_rule):
    """Why traffic to ``ip`` is not filtered by its security group, or None.

    Filtered means the whole path nova builds: FORWARD -> nova-filter-top ->
    nova-compute-local -> the instance chain, which holds the security-group
    rule and ends in the sg-fallback DROP.
    """
    chain = instance_chain(instance_id)
    if '-j nova-filter-top' not in ruleset.rules.get('FORWARD', []):
        return 'no FORWARD jump to nova-filter-top'
    top = ruleset.rules.get('nova-filter-top', [])
    if '-j %s-local' % BINARY not in top:
        return 'no jump to %s-local' % BINARY
    if chain not in ruleset.chains:
        return 'no chain %s' % chain
    jump = '-d %s/32 -j %s' % (ip, chain)
    if jump not in ruleset.rules.get('%s-local' % BINARY, []):
        return 'no jump to %s for %s' % (chain, ip)
    rules = ruleset.rules.get(chain, [])
    if sg_rule not in rules:
        return 'security-group rule missing from %s' % chain
    if not rules or rules[-1] != '-j %s-sg-fallback' % BINARY:
        return '%s does not end in the sg-fallback DROP' % chain
    return None
