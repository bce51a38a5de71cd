"""The run: every repetition of every part, on fresh hosts, in turn.

Stock and nova-sgfix alternate inside each repetition, so that a change in
the machine's load during the run reaches both sides alike.
"""

from __future__ import absolute_import

import shutil

from benchlib import auditside
from benchlib import report
from benchlib import scenarios
from benchlib import sections


#: Guests of the audit's host left without their chain.
AUDIT_EXPOSED = 10


def measure_all(args, parts, clock, progress):
    """Every repetition of every part; returns (results, model, audit)."""
    results = report.Results()
    model = audit_input = None
    progress.step('warm-up (discarded): guarded operations and restart, '
                  '1 guest, stock and nova-sgfix')
    for driver in ('stock', 'sgfix'):
        scenarios.guarded_operations(clock, driver, 1)
        scenarios.restart(clock, driver, 1)
    audit_sides = []
    if 'audit' in parts:
        audit_sides, audit_input = _audit_sides(args, progress)
    try:
        _repetitions(args, parts, clock, progress, results, audit_sides)
    finally:
        for _driver, tree in audit_sides[1:]:
            shutil.rmtree(tree)
    if 'stopped' in parts and args.model_wait:
        model = model_check(args.model_wait, clock, progress)
    return results, model, audit_input


def _audit_sides(args, progress):
    """This tree, and ``--audit-baseline`` exported beside it."""
    sides = [('sgfix', auditside.TOP)]
    audit_input = {'rules': args.audit_rules, 'baseline': None}
    if args.audit_baseline == 'none':
        progress.step('audit: no baseline to compare with')
        return sides, audit_input
    progress.step("audit: exporting %s's nova_sgfix to compare with"
                  % args.audit_baseline)
    sides.append(('baseline', auditside.export(args.audit_baseline)))
    audit_input['baseline'] = auditside.describe(args.audit_baseline)
    return sides, audit_input


def _audit_check(args, rep, progress, results, sides):
    """Each side's check in a fresh process, the order alternating."""
    tag = 'rep %d/%d' % (rep + 1, args.repeat)
    for driver, tree in (sides if rep % 2 == 0 else sides[::-1]):
        progress.say('%s: audit check, %s' % (tag, driver))
        sample = auditside.run(tree, args.audit_guests, args.audit_rules,
                               AUDIT_EXPOSED)
        results.add(report.AUDIT, sections.AUDIT_OP, args.audit_guests,
                    driver, rep, dict(
                        (k, sample[k]) for k in ('cpu_s', 'wall_s', 'rules',
                                                 'phases_cpu_s',
                                                 'output_sha1')))


def _repetitions(args, parts, clock, progress, results, audit_sides):
    for rep in range(args.repeat):
        tag = 'rep %d/%d' % (rep + 1, args.repeat)
        if 'stopped' in parts:
            for driver in ('stock', 'sgfix'):
                progress.step('%s: soft reboot of a stopped guest, %s'
                              % (tag, driver))
                results.add(report.STOPPED, sections.SOFT_REBOOT, 1, driver,
                            rep, scenarios.stopped_soft_reboot(
                                clock, driver, args.wait))
                progress.step('%s: hard reboot of a stopped guest, %s'
                              % (tag, driver))
                results.add(report.STOPPED, sections.STOPPED_HARD_REBOOT, 1,
                            driver, rep,
                            scenarios.stopped_hard_reboot(clock, driver))
        for size in args.sizes if 'guarded' in parts else ():
            for driver in ('stock', 'sgfix'):
                progress.step('%s: guarded operations and hard reboots x%d, '
                              '%d other guests, %s'
                              % (tag, args.cycles, size, driver))
                records = scenarios.guarded_operations(clock, driver, size,
                                                       args.cycles)
                for operation, cycles in sorted(records.items()):
                    for record in cycles:
                        results.add(report.GUARDED, operation, size, driver,
                                    rep, record)
        for size in args.restart_sizes if 'restart' in parts else ():
            for driver in ('stock', 'sgfix', 'stock-defer'):
                progress.step('%s: restart with %d guests, %s'
                              % (tag, size, driver))
                results.add(report.RESTART, sections.RESTART_OP, size,
                            driver, rep, scenarios.restart(
                                clock, driver.split('-')[0], size,
                                driver == 'stock-defer'))
            for driver in ('sgfix', 'stock-defer'):
                progress.step('%s: restart with %d guests, all running, %s'
                              % (tag, size, driver))
                results.add(report.RESTART, sections.RESTART_ALL_RUNNING,
                            size, driver, rep, scenarios.restart(
                                clock, driver.split('-')[0], size,
                                driver == 'stock-defer',
                                scenarios.ALL_RUNNING))
        if 'audit' in parts:
            progress.step('%s: audit check' % tag)
            _audit_check(args, rep, progress, results, audit_sides)


def model_check(wait, clock, progress):
    """Does time = work + recorded sleeps hold? One real, slept wait."""
    progress.step('model check: stock, wait %d s, sleeps recorded' % wait)
    recorded = scenarios.stopped_soft_reboot(clock, 'stock', wait)['sample']
    progress.step('model check: stock, wait %d s, slept for real' % wait)
    real = scenarios.stopped_soft_reboot(clock, 'stock', wait,
                                         real_sleep=True)['sample']
    modelled = recorded.wall + recorded.sleeps
    return {'wait': wait, 'recorded_wall_s': recorded.wall,
            'recorded_sleeps_s': recorded.sleeps, 'modelled_s': modelled,
            'real_s': real.wall,
            'error_pct': 100.0 * (modelled - real.wall) / real.wall}
