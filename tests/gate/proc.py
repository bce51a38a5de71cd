"""Start, stop and restart the gate's services, each a process of its own.

    python -m tests.gate.proc restart NAME [--signal 9] [--run-dir DIR]

A service is registered by ``start``: its command line is kept in
``RUN/NAME.cmd`` (JSON) and its process ID in ``RUN/NAME.pid``, and it runs
in its own session with its output appended to ``RUN/NAME.log``, so that it
outlives the caller: this module is also the command the OSSN-0022 exercise
runs to restart nova-compute (kill the process, start the same command
again). ``RUN`` defaults to ``$GATE_RUN_DIR``. Every process is started in
the caller's network namespace; the gate removes whatever is left there.
"""

from __future__ import print_function

import argparse
import json
import os
import signal
import subprocess
import sys
import time


def _paths(run_dir, name):
    base = os.path.join(run_dir, name)
    return base + '.cmd', base + '.pid', base + '.log'


def alive(pid):
    """True while ``pid`` runs (a zombie waiting for init counts as gone)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            state = f.read().rsplit(')', 1)[1].split()[0]
    except (IOError, OSError, IndexError):
        return False
    return state != 'Z'


def pid_of(run_dir, name):
    try:
        with open(_paths(run_dir, name)[1]) as f:
            return int(f.read().strip())
    except (IOError, OSError, ValueError):
        return None


def start(run_dir, name, argv=None, env=None):
    """Start NAME (registering ARGV and ENV first if given); return its pid.

    The log gets a marker line per start; ``log_since_start`` reads from it.
    """
    cmd_file, pid_file, log_file = _paths(run_dir, name)
    if argv is not None:
        with open(cmd_file, 'w') as f:
            json.dump({'argv': argv, 'env': env or {}}, f)
    with open(cmd_file) as f:
        spec = json.load(f)
    full_env = dict(os.environ)
    full_env.update(spec['env'])
    with open(log_file, 'a') as log:
        log.write('=== gate: start %s at %s\n' % (name, time.strftime('%T')))
        log.flush()
        # The child leaves this process's session (Ctrl-C reaches the gate,
        # which stops the services in order) and is waited for by init.
        proc = subprocess.Popen(
            ['setsid'] + spec['argv'], stdin=open(os.devnull),
            stdout=log, stderr=subprocess.STDOUT, env=full_env,
            close_fds=True)
    with open(pid_file, 'w') as f:
        f.write('%d\n' % proc.pid)
    return proc.pid


def stop(run_dir, name, sig=signal.SIGTERM, timeout=30):
    """Send SIG to NAME and wait until it is gone (then SIGKILL)."""
    pid = pid_of(run_dir, name)
    if pid is None or not alive(pid):
        return
    try:
        os.kill(pid, sig)
    except OSError:
        return
    deadline = time.time() + timeout
    while alive(pid) and time.time() < deadline:
        _reap(pid)
        time.sleep(0.2)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
        while alive(pid):
            _reap(pid)
            time.sleep(0.2)
    _reap(pid)


def _reap(pid):
    # The gate's own children are reaped here; others by init.
    try:
        os.waitpid(pid, os.WNOHANG)
    except OSError:
        pass


def log_since_start(run_dir, name):
    """NAME's output since its last start."""
    with open(_paths(run_dir, name)[2]) as f:
        text = f.read()
    at = text.rfind('=== gate: start %s' % name)
    return text[at:] if at >= 0 else text


def wait_for_log(run_dir, name, needle, timeout=120):
    """Wait until NAME's output since its last start holds NEEDLE."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if needle in log_since_start(run_dir, name):
            return True
        pid = pid_of(run_dir, name)
        if pid is None or not alive(pid):
            raise RuntimeError('%s exited; end of its log:\n%s' % (
                name, log_since_start(run_dir, name)[-3000:]))
        time.sleep(0.5)
    raise RuntimeError('%s: no "%s" in its log after %d s' % (
        name, needle, timeout))


#: what a service logs once it takes requests from the message queue (for
#: nova-compute: after init_host and the compute node record, which the
#: scheduler needs before it can place a guest there)
READY = {'n-cond': 'Creating Consumer connection for Service conductor',
         'n-sch': 'Creating Consumer connection for Service scheduler',
         'n-net': 'Creating Consumer connection for Service network',
         'n-cpu': 'Creating Consumer connection for Service compute'}


def restart(run_dir, name, sig=signal.SIGTERM):
    """Stop NAME with SIG, start it again, wait until it is ready."""
    stop(run_dir, name, sig)
    start(run_dir, name)
    if name in READY:
        wait_for_log(run_dir, name, READY[name])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('action', choices=('restart', 'stop', 'start'))
    parser.add_argument('name')
    parser.add_argument('--signal', type=int, default=signal.SIGTERM)
    parser.add_argument('--run-dir', default=os.environ.get('GATE_RUN_DIR'))
    args = parser.parse_args(argv)
    if not args.run_dir:
        parser.error('--run-dir or GATE_RUN_DIR is needed')
    if args.action == 'restart':
        restart(args.run_dir, args.name, args.signal)
    elif args.action == 'stop':
        stop(args.run_dir, args.name, args.signal)
    else:
        start(args.run_dir, args.name)
    print('%s %s: pid %s' % (args.name, args.action,
                             pid_of(args.run_dir, args.name)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
