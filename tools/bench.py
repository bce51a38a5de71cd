#!/usr/bin/env python
"""Benchmark of nova-sgfix against stock nova, on real nova and real iptables.

Not a test. Runs nova's own libvirt driver and nova-sgfix's side by side on
the functional tests' NovaComputeHost (real nova, nova's fake libvirt, real
iptables in network namespaces that it creates and always deletes), repeats
every measurement, and prints medians, ratios and a PASS/MISS verdict for
each target:

1. soft reboot of a guest stopped across a restart, with nova's default
   wait_soft_reboot_seconds (120): nova-sgfix at least 50x faster, no wait;
2. the filter work of a guarded soft reboot (running guest), unpause
   (paused across a restart) and rescue (stopped across a restart) against
   a stock hard reboot of the same guest in the same state, with 1, 50 and
   200 other guests: no more iptables-restore runs, at most 1.2x the time;
3. a nova-compute restart with 1, 50, 100 and 200 guests: a constant
   number of iptables-restore runs for nova-sgfix, at most 1.5x stock's
   time; beside stock with defer_iptables_apply = True (one restore too),
   with every guest running and in the mix: at most 1.5x at the largest
   size with every guest running, and a cost that grows linearly;
4. nova-sgfix-audit's check on 1,000 guests and 100,000 rules: at most
   0.5 s CPU, beside main's code before it was made fast (--audit-baseline).

Needs root (namespaces). Run from the repository root with a test
environment's Python (tools/bench.sh picks one):

    PYTHONPATH=. python tools/bench.py [--repeat 5] [--json reports/bench.json]
        [--plot reports/bench.png]

Exit status: 0 if every target is met, 1 if one is missed, 2 if the
benchmark could not run. See doc/benchmarks.rst.
"""

from __future__ import absolute_import
from __future__ import print_function

import argparse
import datetime
import os
import platform
import signal
import subprocess
import sys
import time

PARTS = ('stopped', 'guarded', 'restart', 'audit')
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [TOP, os.path.join(TOP, 'tools')]

FILTER_WORK = ('wall-clock time inside the calls of nova\'s firewall driver '
               '(setup_basic_filtering, prepare_instance_filter, '
               'apply_instance_filter, unfilter_instance, refresh_*, '
               'instance_filter_exists, filter_defer_apply_*), nova\'s '
               'IptablesManager (apply, _apply, defer_apply_*: iptables-save '
               'and iptables-restore) and nova-sgfix\'s filter code '
               '(FilterGuard, StartupResync, LibvirtDriver._sgfix_*); a call '
               'nested in a timed call is not timed twice. "filter work CPU": '
               'the CPU time of the same calls and of the iptables '
               'processes they ran')


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog='Results: a table on stdout, JSON in --json, progress on '
               'stderr.')
    parser.add_argument('--repeat', type=int, default=5,
                        help='repetitions of every measurement (default 5)')
    parser.add_argument('--sizes', default='1,50,200',
                        help='numbers of instances on the host for parts 2 '
                             'and 3 (default 1,50,200; at most %d)' % 240)
    parser.add_argument('--restart-sizes', default='1,50,100,200',
                        help='numbers of instances for part 3 (default '
                             '1,50,100,200; at most %d)' % 240)
    parser.add_argument('--cycles', type=int, default=2,
                        help='part 2: measurements per host and repetition '
                             "of nova-sgfix's operations and of stock's "
                             'hard reboots (default 2)')
    parser.add_argument('--wait', type=int, default=120,
                        help="nova's wait_soft_reboot_seconds for part 1 "
                             '(default 120, nova\'s default)')
    parser.add_argument('--model-wait', type=int, default=3,
                        help='seconds of one real, slept wait that checks '
                             'the part-1 model time = work + recorded sleeps '
                             '(default 3; 0 skips the check)')
    parser.add_argument('--audit-guests', type=int, default=1000)
    parser.add_argument('--audit-rules', type=int, default=100000)
    parser.add_argument('--audit-baseline', default='f85e4ae',
                        help='commit whose audit is measured beside this '
                             "tree's (default f85e4ae, main before the "
                             'audit was made fast; none: no baseline)')
    parser.add_argument('--json', default=os.path.join('reports',
                                                       'bench.json'),
                        help='where to write the results (default '
                             'reports/bench.json)')
    parser.add_argument('--plot', metavar='FILE.png',
                        help='also draw cost against instances (installs '
                             'a pinned matplotlib beside the test envs)')
    parser.add_argument('--skip', default='',
                        help='comma-separated parts to leave out: '
                             'stopped,guarded,restart,audit')
    parser.add_argument('--verbose', action='store_true',
                        help="show nova's warnings")
    args = parser.parse_args(argv)
    for name in ('sizes', 'restart_sizes'):
        sizes = sorted(set(int(s) for s in getattr(args, name).split(',')
                           if s))
        if not sizes or sizes[0] < 1 or sizes[-1] > 240:
            parser.error('--%s must be between 1 and 240 (the harness '
                         'numbers guests with one byte)'
                         % name.replace('_', '-'))
        setattr(args, name, sizes)
    if args.repeat < 1 or args.cycles < 1:
        parser.error('--repeat and --cycles must be at least 1')
    args.skip = set(s for s in args.skip.split(',') if s)
    if args.skip - set(PARTS):
        parser.error('--skip takes %s' % ','.join(PARTS))
    return args


class Progress(object):
    """Numbered steps with elapsed time, on stderr."""

    def __init__(self, total):
        self.total = total
        self.done = 0
        self.start = time.time()

    def step(self, text):
        self.done += 1
        self.say('[%d/%d] %s' % (self.done, self.total, text))

    def say(self, text):
        sys.stderr.write('%6.1fs %s\n' % (time.time() - self.start, text))
        sys.stderr.flush()


def version_of(argv):
    try:
        out = subprocess.check_output(argv, stderr=subprocess.STDOUT)
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'
    return out.decode('utf-8', 'replace').strip()


def summarize(args, parts, results, model, audit_input):
    """The checks and the text of every part that ran."""
    from benchlib import sections
    checks, lines = [], []
    for name, section in (
            ('stopped', lambda: sections.stopped(results, args.wait, model)),
            ('guarded', lambda: sections.guarded(results, args.sizes)),
            ('restart', lambda: sections.restart(results,
                                                 args.restart_sizes)),
            ('audit', lambda: sections.audit(results, args.audit_guests,
                                             audit_input['rules'],
                                             audit_input['baseline']))):
        if name in parts:
            part_checks, part_lines = section()
            checks += part_checks
            lines += part_lines + ['']
    missed = [c for c in checks if c['verdict'] != 'PASS']
    lines.append('%d checks: %d PASS, %d MISS' % (
        len(checks), len(checks) - len(missed), len(missed)))
    lines += ['  MISS: %s, N=%s, %s: %.4g vs %.4g (target %s)'
              % (c['label'], c['size'], c['metric'], c['measured'],
                 c['reference'], c['target']) for c in missed]
    return checks, lines


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # Monkey-patches eventlet before nova is imported.
    from tests.functional import base
    reason = base.missing_prerequisite()
    if reason:
        sys.stderr.write('bench: cannot run: %s\n' % reason)
        return 2
    import logging
    logging.basicConfig(level=logging.WARNING if args.verbose
                        else logging.ERROR, stream=sys.stderr)
    # A plain kill runs the clean-ups too: no namespace is left behind.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))

    from benchlib import meter
    from benchlib import report
    from benchlib import runner
    from nova_sgfix import compat
    from tests.functional.harness import netns

    netns.reap_orphans()
    parts = [p for p in PARTS if p not in args.skip]
    per_rep = (('stopped' in parts) * 4 +
               ('guarded' in parts) * 2 * len(args.sizes) +
               ('restart' in parts) * 5 * len(args.restart_sizes) +
               ('audit' in parts))
    progress = Progress(1 + ('audit' in parts) + args.repeat * per_rep +
                        2 * bool('stopped' in parts and args.model_wait))
    clock = meter.FilterWorkClock()
    clock.install()
    try:
        results, model, audit_input = runner.measure_all(args, parts,
                                                         clock, progress)
    finally:
        clock.uninstall()
    checks, lines = summarize(args, parts, results, model, audit_input)
    meta = {
        'command': os.environ.get('BENCH_COMMAND') or ' '.join(
            [sys.executable] + sys.argv),
        'python': platform.python_version(), 'nova': compat.nova_version(),
        'iptables': version_of(['iptables', '--version']),
        'kernel': platform.release(), 'cpus': _cpus(),
        'date': datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%SZ'),
        'repeat': args.repeat, 'cycles': args.cycles, 'sizes': args.sizes,
        'restart_sizes': args.restart_sizes,
        'wait': args.wait, 'model_check': model, 'filter_work': FILTER_WORK,
        'statistic': 'median of all samples (--repeat hosts, times '
                     '--cycles for part 2); ratios of medians',
        'elapsed_s': time.time() - progress.start}
    report.write_json(args.json, meta, results, checks)
    print('nova-sgfix benchmark: nova %s, Python %s, %s, %d CPUs; medians '
          'of %d runs (part 2: %d x %d)'
          % (meta['nova'], meta['python'], meta['iptables'], meta['cpus'],
             args.repeat, args.repeat, args.cycles))
    print('filter work = %s.\n' % FILTER_WORK)
    print('\n'.join(lines))
    sys.stdout.flush()
    progress.say('wrote %s' % args.json)
    status = 1 if any(c['verdict'] != 'PASS' for c in checks) else 0
    if args.plot:
        from benchlib import plotenv
        try:
            plotenv.draw(args.json, args.plot, progress.say)
        except plotenv.PlotUnavailable as exc:
            sys.stderr.write('bench: no plot: %s\n' % exc)
            status = 2
        else:
            progress.say('wrote %s' % args.plot)
    ours = '%s%d-' % (netns.PREFIX, os.getpid())
    leftover = [n for n in netns.list_namespaces() if n.startswith(ours)]
    if leftover:
        sys.stderr.write('bench: namespaces left behind: %s\n'
                         % ' '.join(leftover))
        status = 2
    return status


def _cpus():
    try:
        import multiprocessing
        return multiprocessing.cpu_count()
    except (ImportError, NotImplementedError):
        return 0


if __name__ == '__main__':
    sys.exit(main())
