"""``nova-sgfix-audit``: report guests left without their security group.

Follows the Nagios plugin convention so that NRPE or any monitoring system
can run it: the first line starts with OK, WARNING, CRITICAL or UNKNOWN and
the exit code is 0, 1, 2 or 3. Whatever goes wrong while reading the host
ends as UNKNOWN with the reason, never as a traceback or a false OK.
"""

from __future__ import absolute_import
from __future__ import print_function

import argparse
import json
import sys
import time
import traceback

from nova_sgfix.audit import check
from nova_sgfix.audit import ruleset
from nova_sgfix.audit import sources
from nova_sgfix.audit import textfile

MAX_NAMED = 10
# Bumped when a key of --format json changes meaning or goes away; new
# keys may appear within a version.
JSON_SCHEMA_VERSION = 1


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage; for Nagios that would mean CRITICAL."""

    def error(self, message):
        self.print_usage(sys.stderr)
        print('UNKNOWN: %s' % message)
        sys.exit(check.UNKNOWN)


def build_parser():
    p = _Parser(
        prog='nova-sgfix-audit',
        description='Check that every running or paused libvirt guest on '
                    'this host is behind its nova-network security group '
                    '(OSSN-0022). Read-only.')
    p.add_argument('--connect', metavar='URI', default='qemu:///system',
                   help='libvirt URI, opened read-only (default: %(default)s)')
    p.add_argument('--iptables-save', metavar='FILE', dest='iptables_save',
                   help='read this iptables-save output ("-" for stdin) '
                        'instead of running iptables-save')
    p.add_argument('--ip6tables-save', metavar='FILE', dest='ip6tables_save',
                   help='likewise for ip6tables-save; read only when a '
                        'guest has IPv6')
    p.add_argument('--binary-name', metavar='NAME', default='nova-compute',
                   help='prefix of nova\'s chains (default: %(default)s)')
    p.add_argument('--nwfilter-dir', metavar='DIR',
                   help='read nwfilter definitions from DIR/<name>.xml '
                        '(as libvirt keeps them in /etc/libvirt/nwfilter) '
                        'instead of asking libvirt')
    p.add_argument('--format', choices=('nagios', 'json', 'prometheus'),
                   default='nagios',
                   help='output format: a Nagios plugin line, JSON '
                        '(schema_version %d, see doc/audit.rst) or '
                        'node_exporter textfile metrics '
                        '(default: %%(default)s)' % JSON_SCHEMA_VERSION)
    p.add_argument('-o', '--output', metavar='FILE',
                   help='write the output to FILE instead of stdout, '
                        'atomically (a temporary file in the same '
                        'directory renamed over FILE), for example '
                        '/var/lib/node_exporter/textfile/nova_sgfix.prom; '
                        'the exit code is unchanged')
    p.add_argument('-v', '--verbose', action='store_true',
                   help='one line per guest after the summary')
    return p


def _describe(result):
    return '%s (%s): %s' % (result.name, result.state, result.reason)


def counts(report):
    """``N critical, N warning, N ok, N unknown``: guests per verdict."""
    found = dict((s, 0) for s in check.STATUS_NAMES)
    for r in report.results:
        found[r.verdict] += 1
    return '%d critical, %d warning, %d ok, %d unknown' % (
        found[check.CRITICAL], found[check.WARNING], found[check.OK],
        found[check.UNKNOWN])


def summary(report):
    """The text after ``STATUS: `` on the first line, after the counts."""
    results = report.results
    if report.status == check.OK:
        return '%d active guests filtered (%d IPs)' % (
            len(results), sum(len(r.ips) for r in results))
    bad = [r for r in results if r.verdict != check.OK]
    bad.sort(key=lambda r: -check.severity(r.verdict))
    named = '; '.join(_describe(r) for r in bad[:MAX_NAMED])
    if len(bad) > MAX_NAMED:
        named += '; and %d more' % (len(bad) - MAX_NAMED)
    return '%d of %d active guests not filtered: %s' % (
        len(bad), len(results), named)


def _perfdata(report):
    counts = dict((s, 0) for s in check.STATUS_NAMES)
    for r in report.results:
        counts[r.verdict] += 1
    return 'guests=%d critical=%d warning=%d unknown=%d' % (
        len(report.results), counts[check.CRITICAL], counts[check.WARNING],
        counts[check.UNKNOWN])


def _verdict_counts(report):
    found = dict((check.STATUS_NAMES[s].lower(), 0)
                 for s in check.STATUS_NAMES)
    for r in report.results:
        found[check.STATUS_NAMES[r.verdict].lower()] += 1
    return found


def render(report, fmt, verbose, error=None, duration=0.0, timestamp=None):
    """Return the complete output text for a report or a host-wide error."""
    status = check.STATUS_NAMES[report.status]
    text = error if error is not None else summary(report)
    if timestamp is None:
        timestamp = time.time()
    if fmt == 'prometheus':
        return textfile.render(report, duration, timestamp, error)
    if fmt == 'json':
        return json.dumps({
            'schema_version': JSON_SCHEMA_VERSION,
            'counts': _verdict_counts(report),
            'duration_seconds': round(duration, 6),
            'timestamp': round(timestamp, 3),
            'status': status,
            'exit_code': report.status,
            'summary': text,
            'guests': [{'name': r.name, 'uuid': r.uuid, 'state': r.state,
                        'ips': r.ips,
                        'verdict': check.STATUS_NAMES[r.verdict],
                        'reason': r.reason} for r in report.results],
        }, indent=2, separators=(',', ': '), sort_keys=True)
    lines = ['%s: %s; %s | %s' % (status, counts(report), text,
                                  _perfdata(report))]
    if verbose:
        for r in report.results:
            lines.append('%s %s %s %s [%s]: %s' % (
                check.STATUS_NAMES[r.verdict], r.name, r.uuid, r.state,
                ', '.join(r.ips), r.reason))
    return '\n'.join(lines)


def _parse_rules(spec, command):
    text, source = sources.read_ruleset_text(spec, command)
    return ruleset.parse(text, source)


def run(args):
    """Read the host and audit it; returns a :class:`check.Report`.

    :raises sources.SourceError: or :class:`ruleset.RulesetError`
    """
    if args.iptables_save == '-' and args.ip6tables_save == '-':
        raise sources.SourceError('only one ruleset can come from stdin')
    rules4 = _parse_rules(args.iptables_save, 'iptables-save')
    conn = sources.open_libvirt(args.connect)
    if args.nwfilter_dir:
        lookup = sources.directory_filter_lookup(args.nwfilter_dir)
    else:
        lookup = sources.libvirt_filter_lookup(conn)
    guests = sources.read_guests(conn, lookup)
    rules6 = None
    if check.needs_ipv6(guests):
        rules6 = _parse_rules(args.ip6tables_save, 'ip6tables-save')
    return check.audit(guests, rules4, rules6, args.binary_name)


def main(argv=None):
    args = build_parser().parse_args(argv)
    error = None
    started = time.time()
    try:
        report = run(args)
    except (sources.SourceError, ruleset.RulesetError) as exc:
        error = str(exc)
    except Exception as exc:
        if args.verbose:
            traceback.print_exc(file=sys.stderr)
        error = 'internal error: %s: %s' % (type(exc).__name__, exc)
    if error is not None:
        report = check.Report(check.UNKNOWN, [])
    output = render(report, args.format, args.verbose, error,
                    duration=time.time() - started, timestamp=started)
    if not args.output:
        print(output.rstrip('\n'))
        return report.status
    try:
        textfile.write_atomically(args.output, output + (
            '' if output.endswith('\n') else '\n'))
    except EnvironmentError as exc:
        print('UNKNOWN: cannot write %s: %s' % (args.output, exc))
        return check.UNKNOWN
    return report.status


if __name__ == '__main__':
    sys.exit(main())
