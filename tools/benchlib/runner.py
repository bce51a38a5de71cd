"""The run: every repetition of every part, on fresh hosts, in turn.

Stock and nova-sgfix alternate inside each repetition, so that a change in
the machine's load during the run reaches both sides alike.
"""

from __future__ import absolute_import

import bench_audit

from benchlib import report
from benchlib import scenarios
from benchlib import sections


def measure_all(args, parts, clock, progress):
    """Every repetition of every part; returns (results, model, audit)."""
    results = report.Results()
    model = audit_input = None
    progress.step('warm-up (discarded): guarded operations and restart, '
                  '1 guest, stock and nova-sgfix')
    for driver in ('stock', 'sgfix'):
        scenarios.guarded_operations(clock, driver, 1)
        scenarios.restart(clock, driver, 1)
    if 'audit' in parts:
        progress.step('audit: generating %d guests and %d rules (as '
                      'tools/bench_audit.py does)'
                      % (args.audit_guests, args.audit_rules))
        exposed = set(range(0, args.audit_guests,
                            max(args.audit_guests // 10, 1))[:10])
        text, rules = bench_audit.make_ruleset(
            args.audit_guests, args.audit_rules, exposed)
        domains, filters = bench_audit.make_guests(args.audit_guests)
        audit_input = {'rules': rules}
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
            results.add(report.AUDIT, sections.AUDIT_OP, args.audit_guests,
                        'sgfix', rep, scenarios.audit_check(
                            bench_audit, text, domains, filters))
    if 'stopped' in parts and args.model_wait:
        model = model_check(args.model_wait, clock, progress)
    return results, model, audit_input


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
