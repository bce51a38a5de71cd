"""OSSN-0022 at a glance: which paths expose a guest, stock nova vs nova-sgfix.

Run as root from the repository root (``tools/demo.sh`` does that)::

    PYTHONPATH=. python -m tests.functional.demo [--paths p1,p2] [--json F]

Runs the reachability matrix (``tests.functional.matrix``) and the no-blink
watches, prints a table a person can read, a one-line verdict, and writes
the evidence as JSON. Exit status 1 if a nova-sgfix cell shows any exposure
(or anything could not be measured), 2 if this machine cannot run it.
The formatting below works on the JSON records alone.
"""

from __future__ import absolute_import
from __future__ import print_function

import argparse
import json
import logging
import os
import platform
import sys
import time

DEFAULT_JSON = os.path.join('reports', 'demo.json')
GOOD_CELL = 'filtered'
PROBE_ORDER = ('22/peer', '22/outsider', '80/peer', '80/outsider',
               'icmp/peer', 'icmp/outsider')


def cell_text(record):
    """A grid cell: the verdict and what happened to the guest's chain."""
    if record['verdict'] == GOOD_CELL:
        how = 'chain kept' if record['chain_before'] else 'chain restored'
        text = '%s, %s' % (GOOD_CELL, how)
    elif record['verdict'] == 'EXPOSED' and not record['chain_after']:
        text = 'EXPOSED, no chain'
    else:
        text = record['verdict']
    return text + ('*' if cell_notes(record) else '')


def evidence_text(record):
    """The probes as seen: ``22/peer OPEN 22/outsider CLOSED ...``."""
    found = record['reachability']
    if not found:
        return 'not probed'
    labels = [label for label in PROBE_ORDER if label in found]
    labels += sorted(set(found) - set(labels))
    return ' '.join(('%s %s' % (label, found[label])).ljust(len(label) + 8)
                    for label in labels).rstrip()


def cell_notes(record):
    notes = []
    if record['soft_reboot_waits']:
        notes.append('waited %d x 1 s for a guest shutdown (sleeps recorded, '
                     'not slept), then fell back to a hard reboot'
                     % record['soft_reboot_waits'])
    if record['error']:
        notes.append('error: %s' % record['error'])
    elif record['power_state'] not in (None, 'running'):
        notes.append('guest is %s after the path' % record['power_state'])
    return notes


def _ordered(records, key, title):
    seen = []
    for record in records:
        if (record[key], record[title]) not in seen:
            seen.append((record[key], record[title]))
    return seen


def _row(cells, widths):
    return ' | '.join(cell.ljust(width)
                      for cell, width in zip(cells, widths)).rstrip()


def format_grid(records):
    """path | one column per driver set-up, one word-pair per cell."""
    columns = _ordered(records, 'column', 'column_title')
    by_cell = dict(((r['path'], r['column']), r) for r in records)
    rows = [['path'] + [title for _key, title in columns]]
    for path, path_title in _ordered(records, 'path', 'path_title'):
        rows.append([path_title] + [
            cell_text(by_cell[(path, column)]) if (path, column) in by_cell
            else '-' for column, _title in columns])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rule = '-+-'.join('-' * width for width in widths)
    return [_row(rows[0], widths), rule] + [_row(r, widths) for r in rows[1:]]


def format_evidence(records):
    """Per path, each driver's probe results and notes."""
    width = max(len(r['column_title']) for r in records)
    lines = ['Probes after each path ran (real TCP connects and ICMP echo; '
             'the security group allows only 22/peer and icmp/peer):']
    for path, path_title in _ordered(records, 'path', 'path_title'):
        lines.append(path_title)
        for record in records:
            if record['path'] != path:
                continue
            lines.append('  %s  %s' % (record['column_title'].ljust(width),
                                       evidence_text(record)))
            for note in cell_notes(record):
                lines.append('  %s  * %s' % (' ' * width, note))
    return lines


def watch_text(watch):
    if watch['error']:
        return 'error: %s' % watch['error']
    outcome = 'OPENED' if watch['blinked'] else 'no blink'
    if not watch['sgfix']:
        outcome += ' (control)'
    return '%d connects in %d attempts  %s' % (
        watch['connects'], watch['attempts'], outcome)


def format_watches(watches):
    if not watches:
        return []
    target = watches[0]['target']
    width = max(len(w['title']) for w in watches)
    cwidth = max(len(w['column_title']) for w in watches)
    lines = ['No blink: %s (blocked) probed in a loop while the operation '
             'ran:' % target]
    for watch in watches:
        lines.append('  %s  %s  %s' % (watch['title'].ljust(width),
                                       watch['column_title'].ljust(cwidth),
                                       watch_text(watch)))
    return lines


def watch_failed(watch):
    return bool(watch['error'] or watch['blinked'] or not watch['attempts'])


def judge(records, watches):
    """(ok, one-line verdict): ok unless nova-sgfix showed any exposure."""
    bad = ['%s (%s): %s' % (r['path_title'], r['column_title'], r['verdict'])
           for r in records
           if r['verdict'] != GOOD_CELL and (r['sgfix'] or r['error'])]
    bad += ['%s (%s): %s' % (w['title'], w['column_title'], watch_text(w))
            for w in watches
            if (w['sgfix'] and watch_failed(w)) or w['error']]
    stock = [r['path_title'] for r in records
             if not r['sgfix'] and r['verdict'] == 'EXPOSED']
    fixed = [r for r in records if r['sgfix']]
    if bad:
        return False, 'VERDICT: FAIL: %s' % '; '.join(bad)
    line = ('VERDICT: PASS: nova-sgfix left no guest exposed (%d cells, %d '
            'no-blink watches)' % (len(fixed),
                                   len([w for w in watches if w['sgfix']])))
    if stock:
        line += '; stock nova exposed it after: %s' % '; '.join(stock)
    else:
        line += '; stock nova exposed nothing on these paths'
    return True, line


def build_report(records, watches, meta):
    ok, line = judge(records, watches)
    report = dict(meta)
    report.update({'cells': records, 'watches': watches,
                   'verdict': {'ok': ok, 'line': line}})
    return report


def format_report(report):
    lines = ['OSSN-0022 reachability: nova %s on Python %s, real iptables '
             'in network namespaces' % (report['nova_version'],
                                        report['python_version']),
             'Each path runs after a nova-compute restart, beside a second '
             'guest that stays running.', '']
    if report['cells']:
        lines += format_grid(report['cells']) + ['']
        lines += format_evidence(report['cells']) + ['']
    if report['watches']:
        lines += format_watches(report['watches']) + ['']
    lines.append(report['verdict']['line'])
    return '\n'.join(lines)


def ensure_directory(path):
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory)


def write_json(path, report):
    ensure_directory(path)
    with open(path, 'w') as out:
        json.dump(report, out, indent=2, sort_keys=True)
        out.write('\n')


def progress(number, total, name, column_title, text, seconds):
    print('[%2d/%d] %s | %s: %s (%.1f s)'
          % (number, total, name, column_title, text, seconds))
    sys.stdout.flush()


def run(path_keys, with_watches):
    """Run the chosen cells, then the watches; report progress as we go."""
    from tests.functional import matrix
    jobs = [('cell', path.key, column.key) for path in matrix.PATHS
            if path.key in path_keys for column in matrix.COLUMNS]
    if with_watches:
        jobs += [('watch', watch.key, None) for watch in matrix.WATCHES]
    records, watches = [], []
    for number, (kind, key, column) in enumerate(jobs, 1):
        start = time.time()
        if kind == 'cell':
            record = matrix.run_cell(key, column)
            records.append(record)
            name, text = record['path_title'], cell_text(record)
        else:
            record = matrix.run_watch(key)
            watches.append(record)
            name, text = record['title'], watch_text(record)
        progress(number, len(jobs), name, record['column_title'], text,
                 time.time() - start)
    return records, watches


def parse_args(argv):
    from tests.functional import matrix
    keys = [path.key for path in matrix.PATHS]
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--paths', default=','.join(keys),
                        help='comma-separated, from: %s' % ', '.join(keys))
    parser.add_argument('--json', default=DEFAULT_JSON,
                        help='report file (default %(default)s); nova logs '
                             'go next to it, ending in .log')
    parser.add_argument('--no-watches', action='store_true',
                        help='skip the no-blink probe loops')
    args = parser.parse_args(argv)
    args.paths = [key.strip() for key in args.paths.split(',') if key.strip()]
    unknown = sorted(set(args.paths) - set(keys))
    if unknown or not args.paths:
        parser.error('unknown path(s) %s; choose from %s'
                     % (', '.join(unknown) or '(none given)', ', '.join(keys)))
    return args


def log_to_file(path):
    """nova talks a lot; its log goes to a file, the terminal stays clear."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.FileHandler(path, mode='w')
    handler.setFormatter(logging.Formatter(
        '%(asctime)s %(levelname)s %(name)s %(message)s'))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from tests.functional import base
    reason = base.missing_prerequisite()
    if reason:
        print('cannot run the demo here: %s' % reason, file=sys.stderr)
        return 2
    from nova import version
    ensure_directory(args.json)
    log_path = os.path.splitext(args.json)[0] + '.log'
    log_to_file(log_path)
    started = time.time()
    print('Running %d path(s) x 3 driver set-ups on nova %s; nova logs: %s'
          % (len(args.paths), version.version_string(), log_path))
    records, watches = run(args.paths, not args.no_watches)
    report = build_report(records, watches, {
        'nova_version': version.version_string(),
        'python_version': platform.python_version(),
        'started_at': started, 'seconds': round(time.time() - started, 1)})
    print()
    print(format_report(report))
    write_json(args.json, report)
    print('JSON report: %s (%.0f s)' % (args.json, report['seconds']))
    return 0 if report['verdict']['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
