"""Compare a stock run with a nova-sgfix run and print one row per path.

    python -m tests.servicebed.table --release R STOCK.json SGFIX.json

Exit status 0 only when every stock control shows the exposure the
release's code predicts (tests/servicebed/EXPECTED below, from
shared REFERENCE: which driver paths set up no filter) and nova-sgfix
shows none, with every guest up.
"""

from __future__ import print_function

import argparse
import json
import sys

from tests.servicebed import scenarios

#: path -> stock exposed after a compute restart?
EXPECTED = {
    'havana': {
        'running across restart': False,
        '  then soft reboot': False,
        # Havana re-creates only a domain whose ID changed: a stopped one
        # waits libvirt_wait_soft_reboot_seconds, then hard reboots.
        'stopped, soft reboot': False,
        'paused, unpause': True,
        'stopped, rescue': True,
        '  then unrescue': True,
    },
    'grizzly': {
        'running across restart': False,
        '  then soft reboot': False,
        'stopped, soft reboot': True,   # the advisory's path
        'paused, unpause': True,
        'stopped, rescue': True,
        '  then unrescue': True,
    },
}


def cell(result):
    word = 'EXPOSED' if result['exposed'] else 'filtered'
    if not result['guest_up']:
        word = 'guest down'
    return '%-10s chain=%-3s %3ds' % (
        word, 'yes' if result['chain'] else 'no', result['seconds'])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--release', required=True)
    parser.add_argument('stock')
    parser.add_argument('sgfix')
    args = parser.parse_args()
    runs, audits = {}, {}
    for name in ('stock', 'sgfix'):
        with open(getattr(args, name)) as f:
            doc = json.load(f)
        runs[name] = dict((r['path'], r) for r in doc['results'])
        audits[name] = doc['audit']
    expected = EXPECTED[args.release]
    ok = True
    print('%-24s %-26s %-26s %s' % (
        'path after restart', 'stock', 'nova-sgfix', 'verdict'))
    for path in [p for p, _before, _after in scenarios.PATHS]:
        stock, sgfix = runs['stock'][path], runs['sgfix'][path]
        good = (stock['guest_up'] and sgfix['guest_up'] and
                stock['exposed'] == expected[path] and not sgfix['exposed'])
        ok = ok and good
        print('%-24s %-26s %-26s %s' % (
            path, cell(stock), cell(sgfix),
            'ok' if good else 'FAIL (stock expected %s)' % (
                'exposed' if expected[path] else 'filtered')))
    print('outsider probe: tcp/22 from %s; peer probe: tcp/80; '
          'both must be refused for "filtered"' % '203.0.113.2')
    return 0 if audit_agrees(audits) and ok else 1


def audit_agrees(audits):
    """nova-sgfix-audit on the real host: CRITICAL exactly where exposed.

    Stock must end CRITICAL (its exposed guests are still running) and
    nova-sgfix OK; per guest, an exposed one is CRITICAL and a filtered
    one OK, so the audit neither misses nor invents an exposure.
    """
    ok = True
    for name, want in (('stock', 'CRITICAL'), ('sgfix', 'OK')):
        audit = audits[name]
        wrong = sorted(
            '%s: %s while %s' % (path.strip(), g['verdict'],
                                 'exposed' if g['exposed'] else 'filtered')
            for path, g in audit['guests'].items()
            if g['verdict'] != ('CRITICAL' if g['exposed'] else 'OK'))
        good = audit['status'] == want and not wrong
        ok = ok and good
        print('audit %-6s %-9s (expected %s)%s' % (
            name, audit['status'], want,
            '' if not wrong else ': ' + '; '.join(wrong)))
    return ok


if __name__ == '__main__':
    sys.exit(main())
