"""The four parts of the report: checks against the targets, and tables.

A check compares medians (a ratio of medians).
"""

from __future__ import absolute_import
from __future__ import division

from benchlib import report
from benchlib import scenarios

SOFT_REBOOT = 'soft reboot, stopped across restart'
STOPPED_HARD_REBOOT = 'hard reboot, stopped across restart'
RESTART_OP = 'nova-compute restart'
RESTART_ALL_RUNNING = 'nova-compute restart, all running'
#: A restart's cost grows linearly when the cost at the largest size is at
#: most this much above the smallest size's cost scaled by the sizes' ratio.
LINEAR_SLACK = 1.25
AUDIT_OP = 'audit check'
#: Issue 12, item 4: CPU seconds for 1,000 guests and 100,000 rules.
AUDIT_TARGET = 0.5
DRIVER_NAMES = {'stock': 'stock', 'sgfix': 'nova-sgfix',
                'stock-defer': 'stock, defer_iptables_apply'}


def _check(section, label, size, metric, measured, reference, ratio, target,
           ok, note=''):
    return {'section': section, 'label': label, 'size': size,
            'metric': metric, 'measured': measured, 'reference': reference,
            'ratio': ratio, 'target': target, 'verdict': report.verdict(ok),
            'note': note}


def _yes(value):
    return 'yes' if value else 'NO'


def _ms(seconds):
    return '%.1f' % (seconds * 1000.0)


def _restores(value):
    return ('%d' % value) if value == int(value) else ('%.1f' % value)


def _runs(count, written):
    """Restore runs and the kilobytes they wrote, e.g. ``1 (129 KB)``."""
    if not count:
        return _restores(count)
    return '%s (%.0f KB)' % (_restores(count), written / 1000.0)


def stopped(results, wait, model):
    """Part 1: the stopped guest's soft reboot, stock vs nova-sgfix."""
    def med(driver, field):
        return results.median(report.STOPPED, SOFT_REBOOT, 1, driver, field)

    stock, fixed = med('stock', 'time_s'), med('sgfix', 'time_s')
    waits = results.values(report.STOPPED, SOFT_REBOOT, 1, 'sgfix',
                           'slept_s')
    speedup = report.ratio(stock, fixed)
    ok = speedup >= 50 and not any(waits)
    check = _check(report.STOPPED, SOFT_REBOOT, 1, 'time_s', fixed, stock,
                   speedup, 'stock/nova-sgfix >= 50 and nova-sgfix waits 0 s',
                   ok)
    rows = [
        ['time, s', '%.3f (*)' % stock, '%.3f' % fixed,
         '%.1fx faster' % speedup, '>= 50x, no wait', check['verdict']],
        ['  of which waited, s', '%.1f' % med('stock', 'slept_s'),
         '%.1f' % med('sgfix', 'slept_s'), '', '', ''],
        ['  iptables-restore runs (KB)',
         _runs(med('stock', 'restores'), med('stock', 'restore_bytes')),
         _runs(med('sgfix', 'restores'), med('sgfix', 'restore_bytes')),
         '', '', ''],
        ['  guest running, filtered after',
         '%s, %s' % (_yes(med('stock', 'running')),
                     _yes(med('stock', 'filtered'))),
         '%s, %s' % (_yes(med('sgfix', 'running')),
                     _yes(med('sgfix', 'filtered'))), '', '', '']]
    lines = ['1. Soft reboot of a guest stopped across a nova-compute restart '
             '(1 other guest running), wait_soft_reboot_seconds = %d' % wait]
    lines += report.table(['', 'stock', 'nova-sgfix', 'ratio', 'target',
                           'verdict'], rows)
    lines.append(
        '(*) measured %.3f s with nova\'s sleep(1) calls recorded instead of '
        'slept, plus the %.0f s they would have slept.'
        % (med('stock', 'wall_s'), med('stock', 'slept_s')))
    if model:
        lines.append(
            '    Model check, one stock run each with wait_soft_reboot_seconds'
            ' = %d: recorded %.3f s + %d s slept = %.3f s modelled; slept '
            'for real: %.3f s measured (%+.1f%%).'
            % (model['wait'], model['recorded_wall_s'], model['wait'],
               model['modelled_s'], model['real_s'], model['error_pct']))
    checks, more = _stopped_against_hard_reboot(results)
    return [check] + checks, lines + [''] + more


def _stopped_against_hard_reboot(results):
    """Part 1b: the soft reboot against the hard reboot it stands in for."""
    def med(operation, driver, field):
        return results.median(report.STOPPED, operation, 1, driver, field)

    if med(STOPPED_HARD_REBOOT, 'sgfix', 'restores') is None:
        return [], []
    soft_r = med(SOFT_REBOOT, 'sgfix', 'restores')
    hard_r = med(STOPPED_HARD_REBOOT, 'sgfix', 'restores')
    soft_t = med(SOFT_REBOOT, 'sgfix', 'filter_work_s')
    hard_t = med(STOPPED_HARD_REBOOT, 'sgfix', 'filter_work_s')
    checks = [
        _check(report.STOPPED, SOFT_REBOOT, 1, 'restores vs hard reboot',
               soft_r, hard_r, report.ratio(soft_r, hard_r),
               '<= hard reboot of the same guest', soft_r <= hard_r),
        _check(report.STOPPED, SOFT_REBOOT, 1, 'filter_work_s vs hard reboot',
               soft_t, hard_t, report.ratio(soft_t, hard_t),
               '<= 1.2 x hard reboot of the same guest',
               report.ratio(soft_t, hard_t) <= 1.2)]
    rows = [
        ['iptables-restore runs (KB)',
         _runs(soft_r, med(SOFT_REBOOT, 'sgfix', 'restore_bytes')),
         _runs(hard_r, med(STOPPED_HARD_REBOOT, 'sgfix', 'restore_bytes')),
         _runs(med(STOPPED_HARD_REBOOT, 'stock', 'restores'),
               med(STOPPED_HARD_REBOOT, 'stock', 'restore_bytes')),
         '%.2f' % checks[0]['ratio'], '<= 1', checks[0]['verdict']],
        ['filter work, ms', _ms(soft_t), _ms(hard_t),
         _ms(med(STOPPED_HARD_REBOOT, 'stock', 'filter_work_s')),
         '%.2f' % checks[1]['ratio'], '<= 1.2', checks[1]['verdict']],
        ['(wall time, ms)', _ms(med(SOFT_REBOOT, 'sgfix', 'wall_s')),
         _ms(med(STOPPED_HARD_REBOOT, 'sgfix', 'wall_s')),
         _ms(med(STOPPED_HARD_REBOOT, 'stock', 'wall_s')), '', '', ''],
        ['guest running, filtered after',
         '%s, %s' % (_yes(med(SOFT_REBOOT, 'sgfix', 'running')),
                     _yes(med(SOFT_REBOOT, 'sgfix', 'filtered'))),
         '%s, %s' % (_yes(med(STOPPED_HARD_REBOOT, 'sgfix', 'running')),
                     _yes(med(STOPPED_HARD_REBOOT, 'sgfix', 'filtered'))),
         '%s, %s' % (_yes(med(STOPPED_HARD_REBOOT, 'stock', 'running')),
                     _yes(med(STOPPED_HARD_REBOOT, 'stock', 'filtered'))),
         '', '', '']]
    lines = ['1b. The same soft reboot against the hard reboot it stands in '
             'for (same state, same host)']
    lines += report.table(['', 'nova-sgfix soft reboot',
                           'nova-sgfix hard reboot = ref',
                           'stock hard reboot', 'soft/ref', 'target',
                           'verdict'], rows)
    return checks, lines


def guarded(results, sizes):
    """Part 2: guarded operations against the stock hard reboot."""
    checks, rows = [], []
    for operation, reference in scenarios.GUARDED:
        for size in sizes:
            def med(drv, field, op=operation):
                return results.median(report.GUARDED, op, size, drv, field)

            def ref(drv, field):
                return results.median(report.GUARDED, reference, size, drv,
                                      field)
            filtered = '%s/%s' % (_yes(med('stock', 'filtered')),
                                  _yes(med('sgfix', 'filtered')))
            fixed_r, ref_r = med('sgfix', 'restores'), ref('stock',
                                                           'restores')
            check = _check(report.GUARDED, operation, size, 'restores',
                           fixed_r, ref_r, report.ratio(fixed_r, ref_r),
                           '<= hard reboot', fixed_r <= ref_r)
            checks.append(check)
            rows.append([operation, size, 'iptables-restore runs (KB)',
                         _runs(med('stock', 'restores'),
                               med('stock', 'restore_bytes')),
                         _runs(fixed_r, med('sgfix', 'restore_bytes')),
                         _runs(ref_r, ref('stock', 'restore_bytes')),
                         _runs(ref('sgfix', 'restores'),
                               ref('sgfix', 'restore_bytes')),
                         '%.2f' % check['ratio'], '<= 1', check['verdict'],
                         filtered])
            fixed_t, ref_t = med('sgfix', 'filter_work_s'), ref(
                'stock', 'filter_work_s')
            check = _check(report.GUARDED, operation, size, 'filter_work_s',
                           fixed_t, ref_t, report.ratio(fixed_t, ref_t),
                           '<= 1.2 x hard reboot',
                           report.ratio(fixed_t, ref_t) <= 1.2)
            checks.append(check)
            rows.append(['', '', 'filter work, ms',
                         _ms(med('stock', 'filter_work_s')), _ms(fixed_t),
                         _ms(ref_t), _ms(ref('sgfix', 'filter_work_s')),
                         '%.2f' % check['ratio'], '<= 1.2', check['verdict'],
                         ''])
            rows.append(['', '', '(filter work CPU, ms)',
                         _ms(med('stock', 'filter_cpu_s')),
                         _ms(med('sgfix', 'filter_cpu_s')),
                         _ms(ref('stock', 'filter_cpu_s')),
                         _ms(ref('sgfix', 'filter_cpu_s')),
                         '(%.2f)' % report.ratio(med('sgfix', 'filter_cpu_s'),
                                                 ref('stock', 'filter_cpu_s')),
                         '', '', ''])
            rows.append(['', '', '(wall time, ms)',
                         _ms(med('stock', 'wall_s')), _ms(med('sgfix',
                                                              'wall_s')),
                         _ms(ref('stock', 'wall_s')),
                         _ms(ref('sgfix', 'wall_s')),
                         '(%.2f)' % report.ratio(med('sgfix', 'wall_s'),
                                                 ref('stock', 'wall_s')),
                         '', '', ''])
    lines = ['2. Filter work of the guarded operations against a hard reboot '
             'of the same guest in the same state, N other guests running']
    lines += report.table(
        ['operation', 'N', 'metric', 'stock op', 'nova-sgfix op',
         'hard reboot (stock) = ref', 'hard reboot (nova-sgfix)',
         'sgfix/ref', 'target', 'verdict', 'filtered after (stock/sgfix)'],
        rows)
    return checks, lines


def restart(results, sizes):
    """Part 3: a restart, stock (running guests) vs nova-sgfix (all)."""
    checks, rows = [], []
    base = None
    for size in sizes:
        def med(drv, field):
            return results.median(report.RESTART, RESTART_OP, size, drv,
                                  field)
        fixed_r, stock_r = med('sgfix', 'restores'), med('stock', 'restores')
        samples = set(results.values(report.RESTART, RESTART_OP, size,
                                     'sgfix', 'restores'))
        if base is None:
            base = fixed_r
        ok = len(samples) == 1 and fixed_r == base
        checks.append(_check(report.RESTART, RESTART_OP, size, 'restores',
                             fixed_r, stock_r, report.ratio(fixed_r, stock_r),
                             'nova-sgfix constant (= %s at N=%d)'
                             % (_restores(base), sizes[0]), ok))
        filtered = '%d/%d, %d/%d' % (med('stock', 'filtered'), size,
                                     med('sgfix', 'filtered'), size)
        rows.append([size, 'iptables-restore runs (KB)',
                     _runs(stock_r, med('stock', 'restore_bytes')),
                     _runs(fixed_r, med('sgfix', 'restore_bytes')),
                     '%.2f' % checks[-1]['ratio'],
                     'constant = %s' % _restores(base),
                     checks[-1]['verdict'],
                     _runs(med('stock-defer', 'restores'),
                           med('stock-defer', 'restore_bytes')), filtered])
        fixed_t, stock_t = med('sgfix', 'filter_work_s'), med(
            'stock', 'filter_work_s')
        checks.append(_check(report.RESTART, RESTART_OP, size,
                             'filter_work_s', fixed_t, stock_t,
                             report.ratio(fixed_t, stock_t),
                             '<= 1.5 x stock',
                             report.ratio(fixed_t, stock_t) <= 1.5))
        rows.append(['', 'filter work, ms', _ms(stock_t), _ms(fixed_t),
                     '%.2f' % checks[-1]['ratio'], '<= 1.5',
                     checks[-1]['verdict'],
                     _ms(med('stock-defer', 'filter_work_s')), ''])
        rows.append(['', '(filter work CPU, ms)',
                     _ms(med('stock', 'filter_cpu_s')),
                     _ms(med('sgfix', 'filter_cpu_s')),
                     '(%.2f)' % report.ratio(med('sgfix', 'filter_cpu_s'),
                                             med('stock', 'filter_cpu_s')),
                     '', '', _ms(med('stock-defer', 'filter_cpu_s')), ''])
        rows.append(['', '(wall time, ms)', _ms(med('stock', 'wall_s')),
                     _ms(med('sgfix', 'wall_s')),
                     '(%.2f)' % report.ratio(med('sgfix', 'wall_s'),
                                             med('stock', 'wall_s')),
                     '', '', _ms(med('stock-defer', 'wall_s')), ''])
    lines = ['3. nova-compute restart with N guests (running, stopped, '
             'paused in turn)']
    lines += report.table(
        ['N', 'metric', 'stock', 'nova-sgfix', 'sgfix/stock', 'target',
         'verdict', 'info: stock, defer_iptables_apply',
         'guests filtered after (stock, sgfix)'], rows)
    more_checks, more = restart_against_deferred(results, sizes)
    return checks + more_checks, lines + [''] + more


def _growth_base(sizes):
    """The size the growth is measured from: the smallest of 10 or more."""
    larger = [size for size in sizes if size >= 10]
    return larger[0] if larger else sizes[0]


def restart_against_deferred(results, sizes):
    """Part 3b: nova-sgfix's restart beside stock's deferred apply.

    Both write one iptables-restore; stock filters the running guests only,
    so with every guest running both filter the same guests.
    """
    checks, rows = [], []
    largest, base = sizes[-1], _growth_base(sizes)
    populations = ((RESTART_ALL_RUNNING, 'all running'),
                   (RESTART_OP, 'mixed (1/3 running)'))
    for operation, label in populations:
        for size in sizes:
            def med(drv, field, op=operation, n=size):
                return results.median(report.RESTART, op, n, drv, field)
            fixed, stock = med('sgfix', 'filter_work_s'), med(
                'stock-defer', 'filter_work_s')
            if fixed is None or stock is None:
                continue
            ratio = report.ratio(fixed, stock)
            target, verdict = '(info)', ''
            if operation == RESTART_ALL_RUNNING and size == largest:
                checks.append(_check(
                    report.RESTART, operation, size,
                    'filter_work_s vs stock defer_iptables_apply', fixed,
                    stock, ratio, '<= 1.5 x stock, defer_iptables_apply',
                    ratio <= 1.5))
                target, verdict = '<= 1.5', checks[-1]['verdict']
            rows.append([label, size, _runs(med('sgfix', 'restores'),
                                            med('sgfix', 'restore_bytes')),
                         _runs(med('stock-defer', 'restores'),
                               med('stock-defer', 'restore_bytes')),
                         _ms(fixed), _ms(stock), '%.2f' % ratio,
                         '(%.2f)' % report.ratio(
                             med('sgfix', 'filter_cpu_s'),
                             med('stock-defer', 'filter_cpu_s')),
                         target, verdict,
                         '%d/%d, %d/%d' % (med('sgfix', 'filtered'), size,
                                           med('stock-defer', 'filtered'),
                                           size)])
    lines = ['3b. The same restart beside stock nova with '
             'defer_iptables_apply = True (one iptables-restore on both '
             'sides; stock filters the running guests only)']
    lines += report.table(
        ['guests', 'N', 'sgfix restores (KB)', 'stock-defer restores (KB)',
         'sgfix filter work, ms', 'stock-defer filter work, ms',
         'sgfix/stock', '(CPU)', 'target', 'verdict',
         'guests filtered after (sgfix, stock)'], rows)
    if base == largest:
        return checks, lines
    rows = []
    bound = LINEAR_SLACK * largest / base
    for operation, label in populations:
        for driver in ('sgfix', 'stock-defer'):
            low = results.median(report.RESTART, operation, base, driver,
                                 'filter_work_s')
            high = results.median(report.RESTART, operation, largest, driver,
                                  'filter_work_s')
            if low is None or high is None:
                continue
            growth = report.ratio(high, low)
            target, verdict = '(info)', ''
            if driver == 'sgfix':
                checks.append(_check(
                    report.RESTART, operation, largest,
                    'filter_work_s growth from N=%d' % base, high, low,
                    growth, '<= %.2f x N ratio (linear)' % LINEAR_SLACK,
                    growth <= bound))
                target, verdict = '<= %.2f' % bound, checks[-1]['verdict']
            rows.append([label, DRIVER_NAMES.get(driver, driver), _ms(low),
                         _ms(high), '%.2f' % growth,
                         '%.2f' % (largest / base),
                         '%.2f / %.2f' % (low * 1000.0 / base,
                                          high * 1000.0 / largest),
                         target, verdict])
    lines += ['', '3c. Growth of the restart\'s filter work from N=%d to '
              'N=%d (linear: at most %.2f x the ratio of N)'
              % (base, largest, LINEAR_SLACK)]
    lines += report.table(
        ['guests', 'driver', 'N=%d, ms' % base, 'N=%d, ms' % largest,
         'growth', 'N ratio', 'ms per guest (N=%d / N=%d)' % (base, largest),
         'target', 'verdict'], rows)
    return checks, lines


def audit(results, guests, rules, baseline=None):
    """Part 4: nova-sgfix-audit's check on a large host, beside a baseline.

    Each side's check ran in a fresh process, alternately; CPU seconds of
    the check only (tools/benchlib/auditside.py).
    """
    def med(driver, field, index=None):
        values = results.values(report.AUDIT, AUDIT_OP, guests, driver,
                                field)
        if index is not None:
            values = [v[index] for v in values]
        return report.median(values)

    cpu = med('sgfix', 'cpu_s')
    base = med('baseline', 'cpu_s')
    rules = (results.values(report.AUDIT, AUDIT_OP, guests, 'sgfix',
                            'rules') or [rules])[0]
    check = _check(report.AUDIT, AUDIT_OP, guests, 'cpu_s', cpu, AUDIT_TARGET,
                   cpu / AUDIT_TARGET, '<= %.1f s' % AUDIT_TARGET,
                   cpu <= AUDIT_TARGET, '%d rules; baseline %s: %s'
                   % (rules, baseline, base))
    lines = ['4. nova-sgfix-audit check (tools/bench_audit.py, a fresh '
             'process per run, alternating): %d guests, %d rules; CPU s'
             % (guests, rules)]
    if baseline:
        lines.append('   baseline: %s' % baseline)

    def row(label, value, reference, target='', verdict=''):
        return [label, '%.3f' % value,
                '%.3f' % reference if reference is not None else '-',
                ('%.1f' % (reference / value)
                 if reference is not None and value else ''),
                target, verdict]

    rows = [row('check CPU time, s', cpu, base, '<= %.1f' % AUDIT_TARGET,
                check['verdict'])]
    for index, name in enumerate(('parse iptables-save', 'read guest XML',
                                  'verdicts')):
        rows.append(row('  %s, s' % name, med('sgfix', 'phases_cpu_s', index),
                        med('baseline', 'phases_cpu_s', index)
                        if base is not None else None))
    rows.append(row('(wall time, s)', med('sgfix', 'wall_s'),
                    med('baseline', 'wall_s')))
    outputs = set(results.values(report.AUDIT, AUDIT_OP, guests, 'sgfix',
                                 'output_sha1') +
                  results.values(report.AUDIT, AUDIT_OP, guests, 'baseline',
                                 'output_sha1'))
    rows.append(['same verdicts and reasons', _yes(len(outputs) == 1), '',
                 '', '', ''])
    lines += report.table(
        ['metric', 'nova-sgfix', 'baseline', 'baseline / nova-sgfix',
         'target', 'verdict'],
        rows)
    return [check], lines
