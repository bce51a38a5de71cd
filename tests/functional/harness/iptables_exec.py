"""Runs nova's iptables-save/-restore inside a test namespace.

nova's IptablesManager takes a command runner (Rocky: ``execute=``, Train:
``redirect_privsep_calls_to=``); this is that runner, pointed at one network
namespace, so the real manager writes real kernel tables that are not the
host's. It counts restores and can be told to make them fail the way a
broken iptables-restore does.
"""

from __future__ import absolute_import

from oslo_concurrency import processutils

from tests.functional.harness import netns

ALLOWED = ('iptables-save', 'iptables-restore', 'ip6tables-save',
           'ip6tables-restore')


class NamespaceIptables(object):
    """A command runner with nova's ``execute`` signature."""

    def __init__(self, namespace):
        self.namespace = namespace
        self.restores = 0
        self.saves = 0
        self.fail_restores = False
        #: Number of iptables-save runs still to fail (-1: all of them).
        self.fail_saves = 0

    def __call__(self, cmd, *args, **kwargs):
        if cmd not in ALLOWED:
            raise AssertionError('nova asked to run %s: only iptables '
                                 'commands are expected' % cmd)
        process_input = kwargs.get('process_input')
        argv = [cmd] + [str(a) for a in args]
        if cmd.endswith('-restore'):
            self.restores += 1
            if self.fail_restores:
                raise processutils.ProcessExecutionError(
                    exit_code=1, cmd=' '.join(argv),
                    stderr='%s: line 2 failed (injected by the test)' % cmd)
        else:
            self.saves += 1
            if self.fail_saves:
                self.fail_saves -= 1 if self.fail_saves > 0 else 0
                raise processutils.ProcessExecutionError(
                    exit_code=1, cmd=' '.join(argv),
                    stderr='%s: Permission denied (injected by the test)'
                    % cmd)
        rc, out, err = netns.run(self.namespace, argv,
                                 process_input=process_input, check=False)
        if rc != 0:
            raise processutils.ProcessExecutionError(
                exit_code=rc, cmd=' '.join(argv), stdout=out, stderr=err)
        return out, err

    def save(self):
        """The namespace's filter table as ``iptables-save`` prints it."""
        _rc, out, _err = netns.run(self.namespace,
                                   ['iptables-save', '-t', 'filter'])
        return out
