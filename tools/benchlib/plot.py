"""Draw the PNG of ``tools/bench.py --plot`` from the bench's JSON.

Run by ``benchlib.plotenv`` in a child process whose path holds matplotlib:
``python plot.py BENCH.json OUT.png``. Cost (iptables-restore runs and
filter-work time, medians) against the number of instances on the host.
"""

from __future__ import absolute_import
from __future__ import division

import json
import sys

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

GUARDED = (
    ('soft reboot, running guest', 'hard reboot, running guest', 'C0'),
    ('unpause, paused across restart', 'hard reboot, paused across restart',
     'C1'),
    ('rescue, stopped across restart', 'hard reboot, stopped across restart',
     'C2'),
)
MIXED, ALL_RUNNING = 'nova-compute restart', \
    'nova-compute restart, all running'
RESTART = (
    (MIXED, 'stock', 'stock (running third only)', 'C3', '--', 's', 6),
    (MIXED, 'stock-defer', 'stock, defer_iptables_apply (running third)',
     'C7', ':', 'x', 7),
    (MIXED, 'sgfix', 'nova-sgfix (every guest)', 'C2', '-', 'o', 10),
    (ALL_RUNNING, 'stock-defer', 'all running: stock, defer_iptables_apply',
     'C1', ':', '^', 7),
    (ALL_RUNNING, 'sgfix', 'all running: nova-sgfix', 'C4', '-', 'D', 8))


def series(medians, scenario, operation, driver, field):
    points = sorted((m['size'], m[field]) for m in medians
                    if m['scenario'] == scenario and
                    m['operation'] == operation and m['driver'] == driver
                    and field in m)
    return [p[0] for p in points], [p[1] for p in points]


def scaled(values, factor):
    return [v * factor for v in values]


def bars(axis, medians, sizes):
    """Grouped bars of restores: one group per size, op beside reference."""
    width = 0.13
    for number, (op, ref, colour) in enumerate(GUARDED):
        for offset, (name, driver, hatch, alpha) in enumerate(
                ((op, 'sgfix', '', 1.0), (ref, 'stock', '//', 0.45))):
            x, y = series(medians, 'guarded-operations', name, driver,
                          'restores')
            slots = [sizes.index(v) + (2 * number + offset - 2.5) * width
                     for v in x]
            label = ('nova-sgfix: ' if driver == 'sgfix' else 'stock: ') + name
            axis.bar(slots, y, width, color=colour, alpha=alpha, hatch=hatch,
                     edgecolor=colour, label=label)
            for slot, value in zip(slots, y):
                axis.text(slot, value + 0.03, '%g' % value, ha='center',
                          fontsize=7)
    axis.set_xticks(range(len(sizes)))
    axis.set_xticklabels([str(size) for size in sizes])


def main(json_path, png_path):
    with open(json_path) as handle:
        data = json.load(handle)
    medians, meta = data['medians'], data['meta']
    sizes = sorted(set(m['size'] for m in medians
                       if m['scenario'] == 'guarded-operations'))
    fig, axes = plt.subplots(2, 2, figsize=(13, 10))
    (ops_r, ops_t), (rs_r, rs_t) = axes
    bars(ops_r, medians, sizes)
    for op, ref, colour in GUARDED:
        x, y = series(medians, 'guarded-operations', op, 'sgfix',
                      'filter_work_s')
        ops_t.plot(x, scaled(y, 1000), '-o', color=colour,
                   label='nova-sgfix: ' + op)
        x, y = series(medians, 'guarded-operations', ref, 'stock',
                      'filter_work_s')
        ops_t.plot(x, scaled(y, 1000), '--s', color=colour, alpha=0.6,
                   label='stock: ' + ref)
    most = max([m.get('restores', 1) for m in medians
                if m['scenario'] == 'restart'] + [1])
    rs_r.set_ylim(0.7, max(most * 1.5, 2))
    rs_r.set_yscale('log')
    rs_r.set_autoscaley_on(False)
    for operation, driver, label, colour, style, marker, size in RESTART:
        x, y = series(medians, 'restart', operation, driver, 'restores')
        if not x:
            continue
        rs_r.plot(x, y, style, marker=marker, markersize=size, color=colour,
                  markerfacecolor='none', label=label)
        x, y = series(medians, 'restart', operation, driver,
                      'filter_work_s')
        rs_t.plot(x, scaled(y, 1000), style, marker=marker, markersize=size,
                  color=colour, markerfacecolor='none', label=label)
    ops_r.set_title('Guarded operation vs hard reboot of the same guest:\n'
                    'iptables-restore runs (hatched: stock hard reboot)')
    ops_t.set_title('Guarded operation vs hard reboot of the same guest:\n'
                    'filter work, ms (colours as left; dashed: stock hard '
                    'reboot)')
    rs_r.set_title('nova-compute restart: iptables-restore runs')
    rs_t.set_title('nova-compute restart: filter work, ms')
    ops_r.set_xlabel('other guests running on the host')
    ops_t.set_xlabel('other guests running on the host')
    rs_r.set_xlabel('guests on the host (running, stopped, paused in turn, '
                    'or all running)')
    rs_t.set_xlabel('guests on the host (running, stopped, paused in turn, '
                    'or all running)')
    rs_t.legend(fontsize=8, loc='upper left')
    for axis in (ops_r, ops_t, rs_t):
        axis.grid(True, alpha=0.3)
        axis.set_ylim(bottom=0)
    rs_r.grid(True, alpha=0.3, which='both')
    rs_r.set_ylabel('iptables-restore runs (log scale)')
    ops_r.set_ylim(0, ops_r.get_ylim()[1] * 1.35)
    ops_r.legend(fontsize=7, loc='upper left', ncol=2)
    rs_r.legend(fontsize=8, loc='upper left')
    stopped = dict(((m['driver']), m) for m in medians
                   if m['scenario'] == 'stopped-soft-reboot')
    note = ''
    if 'stock' in stopped and 'sgfix' in stopped:
        note = ('Soft reboot of a guest stopped across a restart: stock '
                '%.1f s (wait_soft_reboot_seconds = %s), nova-sgfix %.2f s. '
                % (stopped['stock']['time_s'], meta.get('wait'),
                   stopped['sgfix']['time_s']))
    fig.suptitle('nova-sgfix vs stock nova %s (Python %s): medians of %d '
                 'runs (guarded operations: %d x %d)'
                 % (meta.get('nova'), meta.get('python'), meta.get('repeat'),
                    meta.get('repeat'), meta.get('cycles', 1)), fontsize=13)
    fig.text(0.5, 0.01, note + 'Filter work: time inside the firewall '
             'driver, IptablesManager and nova-sgfix filter code.',
             ha='center', fontsize=9)
    fig.tight_layout(rect=(0, 0.03, 1, 0.96))
    fig.savefig(png_path, dpi=100)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
