#!/usr/bin/env python
"""Put each fixed mistake back, once, in a copy: its tests must fail.

Not a test. For every mutation below it exports the committed tree
(``git archive HEAD``) into a temporary directory, replaces one exact piece
of nova-sgfix's code there with the mistake it fixed, runs the functional
tests that guard against that mistake with this Python, and expects them to
FAIL. The working tree is never changed. Needs root (the functional tests
make network namespaces). Run by ``tools/mutation-check.sh``; see
doc/testing.rst.

Exit status: 0 if every mutation made its tests fail, 1 if one survived,
2 if a mutation no longer applies (the code it changes moved).
"""

from __future__ import absolute_import
from __future__ import print_function

import os
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEEPS = 'tests.functional.test_restart_keeps_running_guests.'
RESYNC = 'tests.functional.test_restart_resync.RestartResyncTest.'
FAST = 'tests.unit.audit.test_fast_paths.'

#: (name, file, the code as fixed, the mistake, tests that must fail)
MUTATIONS = (
    ('finish() drops every unclaimed chain without asking libvirt',
     'nova_sgfix/resync.py',
     '            if presence.runs is False:\n',
     '            if True:\n',
     (KEEPS + 'LeftOutOfTheInstanceLoopTest.'
      'test_guest_deleted_while_down_keeps_its_chain_while_it_runs',
      KEEPS + 'LeftOutOfTheInstanceLoopTest.'
      'test_running_instance_in_error_keeps_its_chain',
      KEEPS + 'StartupEndingEarlyTest.'
      'test_aborted_startup_with_deferred_apply_keeps_running_chains')),
    ('restore() releases the carried chain before the registration, and '
     'a failed registration does not put it back',
     'nova_sgfix/resync.py',
     '            self._carried.put_back(instance_id, taken, install=False)\n',
     '            pass\n',
     (KEEPS + 'FailedRegistrationTest.'
      'test_running_guest_with_empty_info_cache_keeps_previous_chain',
      KEEPS + 'FailedRegistrationTest.'
      'test_nwfilter_error_at_startup_keeps_every_running_chain')),
    ('an unreadable iptables-save is logged and ignored',
     'nova_sgfix/carryover.py',
     '        causes = self.retry_unread() if self.unread else []\n',
     '        causes = []\n',
     (KEEPS + 'UnreadableKernelRulesTest.'
      'test_read_that_recovers_keeps_running_guests_filtered',
      KEEPS + 'UnreadableKernelRulesTest.'
      'test_guest_start_is_refused_while_the_rules_cannot_be_read')),
    ('the second prepare of a restart is skipped whatever its network_info',
     'nova_sgfix/resync.py',
     '            return bool(network_info) and \\\n',
     '            return True or \\\n',
     (RESYNC + 'test_changed_network_info_after_plug_vifs_is_prepared_again',
      )),
    ('audit: a chain that looks at the destination is memoised for all',
     'nova_sgfix/audit/walk.py',
     '            static = all(r.matches.address_free for r in body.rules)\n',
     '            static = True\n',
     (FAST + 'SharedChainTest.'
      'test_destination_rule_in_equal_instance_chains_is_judged_per_guest',
      FAST + 'SharedChainTest.'
      'test_shared_rule_for_one_destination_exposes_only_that_guest',
      FAST + 'RandomRulesetsTest.'
      'test_random_rulesets_get_the_slow_paths_verdicts')),
    ("audit: a reused summary quotes the first chain's name",
     'nova_sgfix/audit/walk.py',
     '        if name == was:\n',
     '        if True:\n',
     (FAST + 'SharedChainTest.'
      'test_rule_of_a_shared_body_is_quoted_under_each_chain_name',
      FAST + 'SharedChainTest.'
      'test_shared_open_chain_is_quoted_under_each_chain_name')),
    ('audit: group rules outside the guest chain are taken as its own',
     'nova_sgfix/audit/walk.py',
     '                if not is_own:\n',
     '                if False:\n',
     (FAST + 'SharedChainTest.'
      'test_group_rules_outside_the_guest_chain_expose_it',
      FAST + 'SharedChainTest.'
      'test_group_rules_reached_in_doubt_make_a_warning')),
    ('audit: a /0 source is taken as a sender-chosen group rule',
     'nova_sgfix/audit/compiled.py',
     "(?:/(?:3[0-2]|[12][0-9]|[1-9]))? '",
     "(?:/[0-9]+)? '",
     (FAST + 'SenderChosenLinesTest.'
      'test_other_lines_are_compiled_one_by_one',)),
    ('audit: the bulk reader takes a line ending in -j',
     'nova_sgfix/audit/fastparse.py',
     '(?<!-j)(?<!-g)(?<!--jump)(?<!--goto)',
     '',
     (FAST + 'BulkReaderTest.'
      'test_jump_without_target_inside_a_run_names_its_line',
      FAST + 'BulkReaderTest.'
      'test_jump_without_target_after_a_quote_is_rejected')),
)


def export_tree(directory):
    archive = subprocess.Popen(['git', '-C', TOP, 'archive', 'HEAD'],
                               stdout=subprocess.PIPE)
    subprocess.check_call(['tar', '-x', '-C', directory],
                          stdin=archive.stdout)
    if archive.wait() != 0:
        raise RuntimeError('git archive HEAD failed')


def mutate(directory, path, fixed, mistake):
    full = os.path.join(directory, path)
    with open(full) as handle:
        text = handle.read()
    if text.count(fixed) != 1:
        return False
    with open(full, 'w') as handle:
        handle.write(text.replace(fixed, mistake))
    return True


def run_tests(directory, tests):
    """{test id: True if it failed}, with the first failure's last line."""
    results = {}
    for test in tests:
        # testtools.run (unittest2's loader) cannot load a method of a
        # plain unittest.TestCase, which the unit tests are.
        runner = 'unittest' if test.startswith('tests.unit.') else (
            'testtools.run')
        proc = subprocess.Popen(
            [sys.executable, '-m', runner, test], cwd=directory,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONPATH=directory))
        out = proc.communicate()[0].decode('utf-8', 'replace')
        lines = [line for line in out.splitlines()
                 if 'Error' in line or 'assert' in line.lower()]
        results[test] = (proc.returncode != 0,
                         lines[-1].strip() if lines else '')
    return results


def main():
    status = 0
    for name, path, fixed, mistake, tests in MUTATIONS:
        directory = tempfile.mkdtemp(prefix='sgfix-mutation-')
        try:
            export_tree(directory)
            if not mutate(directory, path, fixed, mistake):
                print('DOES NOT APPLY: %s (%s changed)' % (name, path))
                status = max(status, 2)
                continue
            results = run_tests(directory, tests)
        finally:
            shutil.rmtree(directory)
        # Every test listed guards that mistake: all of them must fail.
        killed = all(failed for failed, _line in results.values())
        print('%s: %s' % ('KILLED' if killed else 'SURVIVED', name))
        for test in tests:
            failed, line = results[test]
            print('    %s %s%s' % ('FAIL' if failed else 'pass',
                                   test.rsplit('.', 1)[1],
                                   ': ' + line if failed and line else ''))
        sys.stdout.flush()
        if not killed:
            status = max(status, 1)
    return status


if __name__ == '__main__':
    sys.exit(main())
