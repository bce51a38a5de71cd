"""The one network namespace a legacy check runs in, always deleted.

Named like the functional harness's namespaces (``sgfix-<pid>-...``), so
either harness's orphan reaper recognises one left by a killed run.
"""

from __future__ import absolute_import

import contextlib
import os
import subprocess

PREFIX = 'sgfix-'


class NetnsError(Exception):
    """A namespace command failed; carries the command and its stderr."""


def run_argv(argv, process_input=None, check=True):
    """Run ``argv``; returns (rc, stdout, stderr) as text."""
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


def run(name, argv, process_input=None, check=True):
    """Run ``argv`` inside namespace ``name``."""
    return run_argv(['ip', 'netns', 'exec', name] + list(argv),
                    process_input=process_input, check=check)


def delete(name):
    if not name.startswith(PREFIX):
        raise NetnsError('refusing to delete %s: not made here' % name)
    run_argv(['ip', 'netns', 'del', name], check=False)


@contextlib.contextmanager
def namespace(label):
    """A fresh namespace (loopback up) for a with-block."""
    name = ('%s%d-0-%s' % (PREFIX, os.getpid(), label))[:48]
    run_argv(['ip', 'netns', 'add', name])
    try:
        run(name, ['ip', 'link', 'set', 'lo', 'up'])
        yield name
    finally:
        delete(name)
