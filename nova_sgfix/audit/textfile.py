"""The audit as node_exporter textfile metrics, written so a scrape never
sees half a file.

node_exporter's textfile collector reads every ``*.prom`` file of its
directory on each scrape; a cron job that writes the file in place can be
read mid-write, and a sample with a timestamp is refused. So the file is
written beside its destination and renamed over it, and the time of the
run is a gauge of its own.
"""

from __future__ import absolute_import

import os
import tempfile

from nova_sgfix.audit import check

PREFIX = 'nova_sgfix_'
_VERDICT_LABELS = ((check.CRITICAL, 'critical'), (check.WARNING, 'warning'),
                   (check.OK, 'ok'), (check.UNKNOWN, 'unknown'))


def _escape(value):
    """A label value as the exposition format wants it quoted."""
    return (value.replace('\\', '\\\\').replace('"', '\\"')
            .replace('\n', '\\n'))


def _labels(pairs):
    return '{%s}' % ','.join('%s="%s"' % (k, _escape(v or ''))
                             for k, v in pairs)


def _metric(lines, name, help_text, samples):
    lines.append('# HELP %s%s %s' % (PREFIX, name, help_text))
    lines.append('# TYPE %s%s gauge' % (PREFIX, name))
    for labels, value in samples:
        lines.append('%s%s%s %s' % (PREFIX, name, labels, _number(value)))


def _number(value):
    if isinstance(value, float):
        return repr(value)
    return '%d' % value


def render(report, duration, timestamp, error=None):
    """Return the textfile for one run of the audit.

    :param duration: seconds the check took
    :param timestamp: when it ran, seconds since the epoch
    :param error: the reason the host could not be judged, or None
    """
    found = dict((s, 0) for s in check.STATUS_NAMES)
    for r in report.results:
        found[r.verdict] += 1
    lines = []
    _metric(lines, 'audit_status',
            'Host verdict of nova-sgfix-audit as its exit code: 0 OK, '
            '1 WARNING, 2 CRITICAL, 3 UNKNOWN.',
            [('', report.status)])
    _metric(lines, 'audit_host_readable',
            '1 when the host could be read, 0 when nothing could be '
            'judged (see the audit\'s UNKNOWN reason).',
            [('', 0 if error is not None else 1)])
    _metric(lines, 'audit_guests',
            'Running or paused guests per verdict.',
            [(_labels([('verdict', name)]), found[code])
             for code, name in _VERDICT_LABELS])
    _metric(lines, 'guest_status',
            'Verdict per running or paused guest: 0 filtered (OK), '
            '1 WARNING, 2 CRITICAL (reachable without its security group), '
            '3 UNKNOWN.',
            [(_labels([('instance', r.name), ('uuid', r.uuid),
                       ('state', r.state)]), r.verdict)
             for r in sorted(report.results, key=lambda r: r.name)])
    _metric(lines, 'audit_duration_seconds',
            'Wall-clock seconds the audit took.', [('', float(duration))])
    _metric(lines, 'audit_last_run_timestamp_seconds',
            'When the audit ran, seconds since the epoch (a gauge: the '
            'textfile collector refuses sample timestamps).',
            [('', float(timestamp))])
    return '\n'.join(lines) + '\n'


def write_atomically(path, text):
    """Replace ``path`` with ``text``: readers see the old file or the new.

    :raises EnvironmentError: when the directory cannot be written; the
        old file is then left as it was and no temporary file remains.
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(
        dir=directory, prefix='.%s.' % os.path.basename(path), suffix='.tmp')
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _sync_directory(directory)


def _sync_directory(directory):
    """Make the rename itself survive a crash (best effort)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
