"""OSSN-0022 scenarios on a real nova tree, stock vs nova-sgfix.

Each scenario boots the subject guest with a security group (tcp/22 from
198.51.100.0/24) and a second guest that stays running, prepares the subject
(stopped or paused), restarts nova-compute -- the running guest's re-ensured
filter is the restart's first iptables-restore, which deletes every chain
the new process has not re-registered -- and then starts the subject by the
path under test. The outcome is read from the namespace's kernel tables.

    python -m tests.legacy.scenarios --tree havana [--wait 4]

Exit status: 0 when nova-sgfix kept every guest filtered without a
soft-reboot wait and the stock controls showed the exposure; 1 when nova-sgfix
did not; 2 when a control did not reproduce the advisory (the check proved
nothing).
"""

from __future__ import absolute_import
from __future__ import print_function

import argparse
import collections
import logging
import sys
import traceback

from tests.functional.harness import netns
from tests.legacy import host as host_module
from tests.legacy import trees

Outcome = collections.namedtuple(
    'Outcome', 'after_restart running missing waited other_missing error')

DRIVERS = collections.OrderedDict([
    ('stock', (host_module.stock_driver_class, True)),
    ('nova-sgfix', (host_module.sgfix_driver_class, True)),
    ('nova-sgfix resync_on_start=False',
     (host_module.sgfix_driver_class, False)),
])


def _stopped(host, guest):
    host.stop(guest)


def _paused(host, guest):
    host.pause(guest)


def _running(host, guest):
    pass


def _deleted_while_down(host, guest):
    host.delete_while_down(guest)


def _nothing(host, guest):
    pass


def _restart_ending_early(host, guest):
    """The instance loop raises before it reaches any guest."""
    try:
        host.restart_compute(abort_after=0, defer_iptables_apply=True)
    except host_module.InitAborted:
        pass


NEW_IP = '192.0.2.200'


def _attach_interface(host, guest):
    host.attach_interface(guest, NEW_IP)
    return NEW_IP


# name: (prepare before the restart, operation after it); an operation may
# return the address whose filter decides the outcome (default: the guest's).
SCENARIOS = collections.OrderedDict([
    ('stopped across restart, soft reboot',
     (_stopped, lambda host, guest: host.soft_reboot(guest))),
    ('paused across restart, unpause',
     (_paused, lambda host, guest: host.unpause(guest))),
    ('stopped across restart, rescue',
     (_stopped, lambda host, guest: host.rescue(guest))),
    ('running, interface attached',
     (_running, _attach_interface)),
    ('running, left out of the restart (deleted while down)',
     (_deleted_while_down, _nothing)),
    ('running, next restart ends early (defer_iptables_apply)',
     (_running, _restart_ending_early)),
])

#: Restart cases: what the start-up resync keeps. With resync_on_start=False
#: nova-sgfix leaves the restart to nova (stock's outcome, not judged).
RESTART_CASES = ('running, left out of the restart (deleted while down)',
                 'running, next restart ends early (defer_iptables_apply)')
RUNNING_PREPARES = (_running, _deleted_while_down)


def run_one(tree, namespace, driver_class, resync_on_start, scenario, wait):
    from nova.compute import power_state
    prepare, operate = SCENARIOS[scenario]
    host = host_module.LegacyComputeHost(tree, namespace, driver_class,
                                         wait, resync_on_start)
    try:
        subject = host.boot()
        other = host.boot()
        prepare(host, subject)
        host.restart_compute()
        after_restart = host.missing_filter(subject)
        before = len(host.soft_reboot_sleeps)
        error = None
        checked_ip = None
        try:
            checked_ip = operate(host, subject)
        except Exception as exc:
            error = '%s: %s' % (type(exc).__name__, exc)
            traceback.print_exc()
        return Outcome(
            after_restart=after_restart,
            running=host.power_state(subject) == power_state.RUNNING,
            missing=(host.missing_filter(subject, checked_ip) or
                     host.missing_filter(subject)),
            waited=len(host.soft_reboot_sleeps) - before,
            other_missing=host.missing_filter(other),
            error=error)
    finally:
        host.close()


def describe(outcome):
    if outcome.error:
        return 'ERROR %s' % outcome.error.split('\n')[0][:60]
    words = ['running' if outcome.running else 'NOT running']
    words.append('UNFILTERED' if outcome.missing else 'filtered')
    if outcome.waited:
        words.append('after waiting %d s' % outcome.waited)
    if outcome.other_missing:
        words.append('(other guest UNFILTERED)')
    return ', '.join(words)


def sgfix_ok(outcome):
    return (outcome.error is None and outcome.running and
            outcome.missing is None and outcome.waited == 0 and
            outcome.other_missing is None)


def control_shows_exposure(tree, scenario, outcome):
    """The stock driver misbehaves the way OSSN-0022 says on this tree."""
    if outcome.error:
        return False
    if scenario.endswith('soft reboot') and tree.soft_reboot_waits:
        # Havana and later wait for a shutdown that never comes, then
        # hard-reboot.
        return outcome.waited > 0
    return outcome.running and outcome.missing is not None


def print_table(tree, nova_version, wait, results):
    columns = list(DRIVERS)
    rows = [['scenario'] + columns]
    for scenario in SCENARIOS:
        rows.append([scenario] + [describe(results[(scenario, column)])
                                  for column in columns])
    down = [scenario for scenario, (prepare, _op) in SCENARIOS.items()
            if prepare not in RUNNING_PREPARES]
    rows.append(['stopped/paused guest right after restart'] + [
        ', '.join(sorted(set(
            'chain gone' if results[(scenario, column)].after_restart
            else 'chain in place' for scenario in down)))
        for column in columns])
    widths = [max(len(row[i]) for row in rows)
              for i in range(len(columns) + 1)]
    print()
    wait_name, wait_group = tree.wait_option
    print('nova %s (%s), %s%s=%d' % (
        nova_version, tree.name, '[%s] ' % wait_group if wait_group else '',
        wait_name, wait))
    for number, row in enumerate(rows):
        print('| ' + ' | '.join(cell.ljust(width)
                                for cell, width in zip(row, widths)) + ' |')
        if number == 0:
            print('|' + '|'.join('-' * (width + 2) for width in widths) + '|')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tree', required=True, choices=sorted(trees.TREES))
    parser.add_argument('--wait', type=int, default=4,
                        help='libvirt_wait_soft_reboot_seconds (default 4; '
                             'the sleeps are counted, not slept)')
    parser.add_argument('--log', help='write nova and nova-sgfix logs '
                        '(INFO and up) to this file')
    args = parser.parse_args(argv)
    if args.log:
        logging.basicConfig(filename=args.log, level=logging.INFO,
                            format='%(levelname)s %(name)s %(message)s')
    else:
        logging.basicConfig(level=logging.CRITICAL)
    tree = trees.get(args.tree)
    host_module.bootstrap(tree)
    from nova_sgfix import compat
    results = {}
    for scenario in SCENARIOS:
        for column, (driver_class, resync) in DRIVERS.items():
            with netns.namespace('legacy') as namespace:
                results[(scenario, column)] = run_one(
                    tree, namespace, driver_class, resync, scenario,
                    args.wait)
    print_table(tree, compat.nova_version(), args.wait, results)
    failed = [key for key, outcome in results.items()
              if key[1] != 'stock' and not sgfix_ok(outcome) and
              not (key[0] in RESTART_CASES and
                   key[1] == 'nova-sgfix resync_on_start=False')]
    weak = [scenario for scenario in SCENARIOS
            if not control_shows_exposure(tree, scenario,
                                          results[(scenario, 'stock')])]
    for scenario, column in sorted(failed):
        print('FAIL: %s with %s: %r' % (scenario, column,
                                        results[(scenario, column)]))
    for scenario in weak:
        print('CONTROL DID NOT REPRODUCE: %s: %r' % (
            scenario, results[(scenario, 'stock')]))
    if failed:
        return 1
    if weak:
        return 2
    print('OK: nova-sgfix kept every guest filtered with no soft-reboot '
          'wait; the stock controls show the exposure')
    return 0


if __name__ == '__main__':
    sys.exit(main())
