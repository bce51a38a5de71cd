"""TCP listener and connect probes, run inside a test namespace.

Standalone on purpose (stdlib only, Python 2.7 and 3): the topology starts it
with ``ip netns exec NS <its own interpreter> probe.py MODE ...``. A port
counts as OPEN only when the connect succeeds *and* our listener answers the
run's token, so a stray service can never pass for a guest's open port.
Listeners and loops watch their parent (``--parent``, the caller's pid) and
exit once orphaned, so a killed test run leaves nothing listening behind.

Modes (each also takes --parent PID):
  listen --token T [--name GUEST] PORT...  answer "T PORT" on each port
  probe --token T --timeout S IP:PORT...   JSON list of results, in parallel
  loop --token T --timeout S --interval S --max-attempts N --max-seconds S
       IP:PORT                             connect until SIGTERM or a bound,
                                           then print a JSON summary
"""

from __future__ import absolute_import
from __future__ import print_function

import argparse
import errno
import json
import os
import select
import signal
import socket
import sys
import threading
import time

READY = 'READY'


def _answer(token, port):
    return ('%s %d\n' % (token, port)).encode('ascii')


def _orphaned(args):
    return os.getppid() != args.parent


def listen(args):
    """Serve the token on every port until orphaned or killed."""
    socks = {}
    for port in args.ports:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(('0.0.0.0', port))
        sock.listen(64)
        socks[sock] = port
    print('%s %s' % (READY, ' '.join(str(p) for p in args.ports)))
    sys.stdout.flush()
    while not _orphaned(args):
        try:
            readable = select.select(list(socks), [], [], 0.5)[0]
        except (select.error, OSError) as exc:
            if exc.args and exc.args[0] == errno.EINTR:
                continue
            raise
        for sock in readable:
            try:
                conn, _addr = sock.accept()
            except socket.error:
                continue
            try:
                conn.sendall(_answer(args.token, socks[sock]))
            except socket.error:
                pass
            finally:
                conn.close()
    return 0


def _target(text):
    host, port = text.rsplit(':', 1)
    return host, int(port)


def connect_once(host, port, token, timeout):
    """One connect; returns (OPEN|CLOSED, detail, connected)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect((host, port))
        except socket.timeout:
            return 'CLOSED', 'timeout', False
        except socket.error as exc:
            if exc.args and exc.args[0] == errno.ECONNREFUSED:
                return 'CLOSED', 'refused', False
            return 'CLOSED', 'error: %s' % exc, False
        expected = _answer(token, port)
        data = b''
        try:
            while not data.endswith(b'\n') and len(data) < 256:
                chunk = sock.recv(256)
                if not chunk:
                    break
                data += chunk
        except socket.error:
            pass
        if data == expected:
            return 'OPEN', 'token', True
        return 'CLOSED', 'no token: %r' % data, True
    finally:
        sock.close()


def probe(args):
    """Probe all targets at once, so a batch costs one timeout at most."""
    results = [None] * len(args.targets)

    def one(i, text):
        host, port = _target(text)
        start = time.time()
        result, detail, _conn = connect_once(host, port, args.token,
                                             args.timeout)
        results[i] = {'target': text, 'host': host, 'port': port,
                      'result': result, 'detail': detail,
                      'seconds': round(time.time() - start, 4)}

    threads = [threading.Thread(target=one, args=(i, t))
               for i, t in enumerate(args.targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(results))
    return 0


def loop(args):
    """Connect repeatedly until SIGTERM, orphaned, or a bound is reached."""
    stop = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.append(signum))
    host, port = _target(args.target)
    summary = {'target': args.target, 'attempts': 0, 'connects': 0,
               'successes': 0, 'success_times': [], 'connect_times': [],
               'started_at': time.time(), 'stopped_by': 'max-seconds'}
    print(READY)
    sys.stdout.flush()
    deadline = summary['started_at'] + args.max_seconds
    while time.time() < deadline:
        if stop or _orphaned(args):
            summary['stopped_by'] = 'signal' if stop else 'orphaned'
            break
        if summary['attempts'] >= args.max_attempts:
            summary['stopped_by'] = 'max-attempts'
            break
        at = time.time()
        result, _detail, connected = connect_once(host, port, args.token,
                                                  args.timeout)
        summary['attempts'] += 1
        if connected:
            summary['connects'] += 1
            summary['connect_times'].append(at)
        if result == 'OPEN':
            summary['successes'] += 1
            summary['success_times'].append(at)
        time.sleep(args.interval)
    summary['stopped_at'] = time.time()
    print(json.dumps(summary))
    return 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument('--parent', type=int, default=os.getppid(),
                        help='exit once this is no longer our parent')
    sub = parser.add_subparsers(dest='mode')
    p_listen = sub.add_parser('listen', parents=[common])
    p_listen.add_argument('--token', required=True)
    p_listen.add_argument('--name', default='',
                          help='guest name, for ps output only')
    p_listen.add_argument('ports', nargs='+', type=int)
    p_probe = sub.add_parser('probe', parents=[common])
    p_probe.add_argument('--token', required=True)
    p_probe.add_argument('--timeout', type=float, default=0.5)
    p_probe.add_argument('targets', nargs='+')
    p_loop = sub.add_parser('loop', parents=[common])
    p_loop.add_argument('--token', required=True)
    p_loop.add_argument('--timeout', type=float, default=0.2)
    p_loop.add_argument('--interval', type=float, default=0.02)
    p_loop.add_argument('--max-attempts', type=int, default=1000)
    p_loop.add_argument('--max-seconds', type=float, default=30.0)
    p_loop.add_argument('target')
    args = parser.parse_args(argv)
    if args.mode is None:
        parser.error('a mode is required')
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return {'listen': listen, 'probe': probe, 'loop': loop}[args.mode](args)


if __name__ == '__main__':
    sys.exit(main())
