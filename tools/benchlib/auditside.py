"""nova-sgfix-audit's check timed in a fresh process, for one source tree.

The benchmark puts this tree's audit beside another commit's (main's before
the audit was made fast, by default) in the same run, on the same input:
the other commit's ``nova_sgfix`` is exported with ``git archive``, and each
side's check runs in a child process of its own, the sides alternating, so
that both meet the same load on a busy machine. The child generates the
input with this tree's ``tools/bench_audit.py`` and measures CPU time
(``time.process_time``; ``time.clock`` on Python 2) around the check only:
the interpreter's start, the imports and the generation are not counted.

Run as a script it is that child:
``python auditside.py TREE GUESTS RULES EXPOSED distinct|shared
[nocheck]``; it prints one JSON object (nothing with ``nocheck``, which
only generates the input).
"""

from __future__ import absolute_import
from __future__ import print_function

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOP = os.path.dirname(TOOLS)
#: main's last commit before the audit was made fast (issue 12, item 4).
BASELINE = 'f85e4ae'


class BaselineError(Exception):
    """The baseline commit cannot be exported."""


def export(ref, top=TOP):
    """Write ``ref``'s ``nova_sgfix`` into a new temporary directory.

    :returns: the directory; the caller removes it
    :raises BaselineError: if git cannot export ``ref``
    """
    tmp = tempfile.mkdtemp(prefix='sgfix-audit-baseline-')
    archive = os.path.join(tmp, 'nova_sgfix.tar')
    try:
        # Through a file: bench.py's eventlet makes pipes non-blocking.
        try:
            subprocess.check_output(['git', '-C', top, 'archive', '-o',
                                     archive, ref, 'nova_sgfix'],
                                    stderr=subprocess.STDOUT)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise BaselineError('git archive %s nova_sgfix failed: %s %s'
                                % (ref, exc, getattr(exc, 'output', '')))
        with tarfile.open(archive) as tar:
            tar.extractall(tmp)
        os.unlink(archive)
    except BaseException:
        shutil.rmtree(tmp)
        raise
    return tmp


def describe(ref, top=TOP):
    """``ref`` as a short commit id and subject, for the report."""
    try:
        out = subprocess.check_output(['git', '-C', top, 'log', '-1',
                                       '--format=%h %s', ref])
    except (OSError, subprocess.CalledProcessError):
        return ref
    return out.decode('utf-8', 'replace').strip()


def run(tree, guests, rules, exposed, distinct=False):
    """One check of ``tree``'s audit in a child process; returns its dict."""
    out = subprocess.check_output([
        sys.executable, os.path.abspath(__file__), tree, str(guests),
        str(rules), str(exposed), 'distinct' if distinct else 'shared'])
    sample = json.loads(out.decode('utf-8'))
    if sample['package'] != os.path.join(os.path.abspath(tree),
                                         'nova_sgfix'):
        raise BaselineError('the child imported %s, not %s\'s'
                            % (sample['package'], tree))
    return sample


def compare(sides, guests, rules, exposed, repeat, distinct=False,
            step=None):
    """Alternate the sides ``[(label, tree)]``; samples by label.

    The first side goes first in even rounds and last in odd ones.
    """
    samples = dict((label, []) for label, _tree in sides)
    for rep in range(repeat):
        order = sides if rep % 2 == 0 else list(reversed(sides))
        for label, tree in order:
            if step:
                step('audit check %d/%d: %s' % (rep + 1, repeat, label))
            samples[label].append(run(tree, guests, rules, exposed,
                                      distinct))
    return samples


def instructions(tree, guests, rules, exposed, distinct=False):
    """Instructions the check executes, counted by valgrind's callgrind.

    Unlike CPU time, the count hardly depends on the machine's load: the
    child runs once with the check and once without it (same imports and
    generated input), and the difference is the check's.

    :returns: the difference, or None when valgrind cannot be run
    """
    counts = []
    tmp = tempfile.mkdtemp(prefix='sgfix-audit-callgrind-')
    try:
        for mode in ('check', 'nocheck'):
            out = os.path.join(tmp, mode + '.out')
            try:
                with open(os.devnull, 'w') as devnull:
                    subprocess.check_call(
                        ['valgrind', '--tool=callgrind',
                         '--callgrind-out-file=' + out, sys.executable,
                         os.path.abspath(__file__), tree, str(guests),
                         str(rules), str(exposed),
                         'distinct' if distinct else 'shared', mode],
                        stdout=devnull, stderr=devnull)
            except (OSError, subprocess.CalledProcessError):
                return None
            with open(out) as handle:
                totals = [line for line in handle
                          if line.startswith(('summary:', 'totals:'))]
            counts.append(int(totals[-1].split()[1]))
    finally:
        shutil.rmtree(tmp)
    return counts[0] - counts[1]


def median_of(samples, field, index=None):
    values = sorted(s[field] if index is None else s[field][index]
                    for s in samples)
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2.0


def table(samples, labels):
    """Lines: each phase's median per side, and the first side's ratio."""
    head = ['%-20s' % ''] + ['%12s' % label[:12] for label in labels]
    if len(labels) > 1:
        head.append('  %s / %s' % (labels[1], labels[0]))
    lines = [' '.join(head)]
    phases = ('parse iptables-save', 'read guest XML', 'verdicts')
    for index, name in enumerate(phases + ('check total',)):
        field, at = ('cpu_s', None) if index == 3 else ('phases_cpu_s',
                                                        index)
        values = [median_of(samples[label], field, at) for label in labels]
        row = ['%-20s' % name] + ['%12.3f' % v for v in values]
        if len(values) > 1:
            row.append('  %.1fx' % (values[1] / values[0])
                       if values[0] else '  -')
        lines.append(' '.join(row))
    outputs = set(s['output_sha1'] for label in labels
                  for s in samples[label])
    lines.append('same verdicts and reasons on every run: %s (%s)'
                 % ('yes' if len(outputs) == 1 else 'NO',
                    samples[labels[0]][0]['result'][:90]))
    return lines


def _child(argv):
    tree = os.path.abspath(argv[0])
    guests, rules, exposed = (int(a) for a in argv[1:4])
    distinct = argv[4] == 'distinct'
    sys.path.insert(0, tree)
    import nova_sgfix
    sys.path.insert(1, TOOLS)
    import bench_audit
    from nova_sgfix.audit import cli

    if argv[5:] == ['nocheck']:  # the reference of instructions()
        bench_audit.make_ruleset(guests, rules, bench_audit.exposed_set(
            guests, exposed), distinct)
        bench_audit.make_guests(guests)
        return 0
    text, count = bench_audit.make_ruleset(
        guests, rules, bench_audit.exposed_set(guests, exposed), distinct)
    domains, filters = bench_audit.make_guests(guests)
    start = time.time()
    timings, report = bench_audit.run_check(text, domains, filters)
    wall = time.time() - start
    verbose = cli.render(report, 'nagios', True)
    json.dump({'cpu_s': timings[3], 'phases_cpu_s': list(timings[:3]),
               'wall_s': wall, 'rules': count,
               'package': os.path.dirname(os.path.abspath(
                   nova_sgfix.__file__)),
               'python': sys.version.split()[0],
               'result': verbose.splitlines()[0],
               'output_sha1': hashlib.sha1(
                   verbose.encode('utf-8')).hexdigest()}, sys.stdout)
    return 0


if __name__ == '__main__':
    sys.exit(_child(sys.argv[1:]))
