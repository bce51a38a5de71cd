"""Linux network namespaces that the tests make, use and always delete.

Every iptables command of the test suite runs inside one of these, never in
the host's own namespace. Names carry the creating process id, so a run can
reap what an earlier, killed run of its own left behind without touching any
namespace it did not make.
"""

from __future__ import absolute_import

import contextlib
import itertools
import os
import subprocess

PREFIX = 'sgfix-'
_counter = itertools.count()


class NetnsError(Exception):
    """A namespace command failed; carries the command and its output."""


def _run(argv, process_input=None, check=True):
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if process_input is not None and not isinstance(process_input, bytes):
        process_input = process_input.encode('utf-8')
    out, err = proc.communicate(process_input)
    out = out.decode('utf-8', 'replace')
    err = err.decode('utf-8', 'replace')
    if check and proc.returncode != 0:
        raise NetnsError('%s exited %d: %s' % (' '.join(argv),
                                               proc.returncode, err.strip()))
    return proc.returncode, out, err


def list_namespaces():
    _rc, out, _err = _run(['ip', 'netns', 'list'], check=False)
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _owner_pid(name):
    parts = name[len(PREFIX):].split('-')
    try:
        return int(parts[0])
    except (ValueError, IndexError):
        return None


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def reap_orphans():
    """Delete namespaces of ours whose creating process is gone."""
    for name in list_namespaces():
        if not name.startswith(PREFIX):
            continue
        pid = _owner_pid(name)
        if pid is not None and pid != os.getpid() and not _pid_alive(pid):
            delete(name)


def create(label):
    """Create a namespace with its loopback up (eventlet needs it)."""
    name = '%s%d-%d-%s' % (PREFIX, os.getpid(), next(_counter), label)
    name = name[:48]
    _run(['ip', 'netns', 'add', name])
    try:
        run(name, ['ip', 'link', 'set', 'lo', 'up'])
    except Exception:
        delete(name)
        raise
    return name


def delete(name):
    """Delete a namespace; a missing one is not an error."""
    if not name.startswith(PREFIX):
        raise NetnsError('refusing to delete %s: not made by the tests' % name)
    _run(['ip', 'netns', 'del', name], check=False)


def run(name, argv, process_input=None, check=True):
    """Run argv inside namespace name; returns (rc, stdout, stderr)."""
    return _run(['ip', 'netns', 'exec', name] + list(argv),
                process_input=process_input, check=check)


@contextlib.contextmanager
def namespace(label):
    """A namespace for the duration of a with-block, deleted on any exit."""
    name = create(label)
    try:
        yield name
    finally:
        delete(name)
