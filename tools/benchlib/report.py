"""Samples to medians, medians to verdicts, verdicts to a table and JSON."""

from __future__ import absolute_import
from __future__ import division

import json
import os

STOPPED = 'stopped-soft-reboot'
GUARDED = 'guarded-operations'
RESTART = 'restart'
AUDIT = 'audit'

FIELDS = ('wall_s', 'filter_work_s', 'filter_cpu_s', 'iptables_commands_s',
          'restores', 'restore_bytes', 'slept_s', 'time_s', 'cpu_s',
          'filtered', 'running')


def median(values):
    values = sorted(values)
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2.0


class Results(object):
    """Every sample of the run, keyed by scenario/operation/size/driver."""

    def __init__(self):
        self.rows = []

    def add(self, scenario, operation, size, driver, rep, record):
        row = {'scenario': scenario, 'operation': operation, 'size': size,
               'driver': driver, 'rep': rep}
        sample = record.get('sample')
        if sample is not None:
            row.update(sample.as_dict())
            # What the operation costs a user: the work plus any wait that
            # the host recorded instead of sleeping.
            row['time_s'] = sample.wall + sample.sleeps
        for key, value in record.items():
            if key != 'sample':
                row[key] = value
        self.rows.append(row)

    def values(self, scenario, operation, size, driver, field):
        return [row[field] for row in self.rows
                if (row['scenario'], row['operation'], row['size'],
                    row['driver']) == (scenario, operation, size, driver)
                and field in row]

    def median(self, scenario, operation, size, driver, field):
        return median(self.values(scenario, operation, size, driver, field))

    def medians(self):
        """One entry per group with the median of every numeric field."""
        groups = []
        seen = set()
        for row in self.rows:
            key = (row['scenario'], row['operation'], row['size'],
                   row['driver'])
            if key in seen:
                continue
            seen.add(key)
            entry = dict(zip(('scenario', 'operation', 'size', 'driver'),
                             key))
            for field in FIELDS:
                values = self.values(*(key + (field,)))
                if values:
                    entry[field] = median([float(v) for v in values])
            entry['samples'] = len(self.values(*(key + ('rep',))))
            groups.append(entry)
        return groups


def verdict(ok):
    return 'PASS' if ok else 'MISS'


def ratio(value, reference):
    if not reference:
        return float('inf') if value else 1.0
    return value / reference


def write_json(path, meta, results, checks):
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory)
    with open(path, 'w') as handle:
        json.dump({'meta': meta, 'checks': checks,
                   'medians': results.medians(), 'samples': results.rows},
                  handle, indent=1, sort_keys=True)
        handle.write('\n')


def table(headers, rows):
    """Left-aligned text columns, two spaces apart."""
    widths = [max(len(str(cell)) for cell in column)
              for column in zip(headers, *rows)]
    lines = []
    for cells in [headers] + rows:
        lines.append('  '.join(str(c).ljust(w)
                               for c, w in zip(cells, widths)).rstrip())
    lines.insert(1, '  '.join('-' * w for w in widths))
    return lines
