"""probe.py children running inside namespaces.

Kept apart from the topology so that waiting, reading and killing work the
same on Python 2.7 (no ``Popen.wait(timeout)``) and 3: reader threads drain
both pipes, so a child never blocks on a full pipe and a caller can wait with
a deadline. Children get their own session: a Ctrl-C in the terminal reaches
only the test process, whose topology then kills them in order.
"""

from __future__ import absolute_import

import os
import signal
import subprocess
import sys
import threading
import time

PROBE_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            'probe.py')
#: first line probe.py prints once its sockets listen or its loop runs.
READY = 'READY'


def which(program):
    for folder in os.environ.get('PATH', os.defpath).split(os.pathsep):
        path = os.path.join(folder, program)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


class ProbeProcess(object):
    """``ip netns exec NS <this interpreter> probe.py MODE ARGS``, detached.

    ``ip netns exec`` execs the command, so ``pid`` is probe.py itself, and
    its parent is this process, which probe.py watches (``--parent``).
    """

    def __init__(self, ns, args, script=None):
        argv = ['ip', 'netns', 'exec', ns, sys.executable,
                script or PROBE_SCRIPT, args[0], '--parent', str(os.getpid())]
        argv += [str(arg) for arg in args[1:]]
        with open(os.devnull, 'rb') as devnull:
            self.popen = subprocess.Popen(
                argv, stdin=devnull, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, close_fds=True, preexec_fn=os.setsid)
        self.pid = self.popen.pid
        self._out, self._err = [], []
        self._cond = threading.Condition()
        self._eof = False
        self._readers = [
            threading.Thread(target=self._drain,
                             args=(self.popen.stdout, self._out, True)),
            threading.Thread(target=self._drain,
                             args=(self.popen.stderr, self._err, False))]
        for reader in self._readers:
            reader.daemon = True
            reader.start()

    def _drain(self, pipe, lines, is_stdout):
        for line in iter(pipe.readline, b''):
            with self._cond:
                lines.append(line.decode('utf-8', 'replace'))
                self._cond.notify_all()
        pipe.close()
        with self._cond:
            if is_stdout:
                self._eof = True
            self._cond.notify_all()

    def first_line(self, timeout):
        """The first stdout line, or None on EOF or after timeout seconds."""
        deadline = time.time() + timeout
        with self._cond:
            while not self._out and not self._eof:
                left = deadline - time.time()
                if left <= 0:
                    break
                self._cond.wait(left)
            return self._out[0] if self._out else None

    def wait(self, timeout):
        """Exit status, or None if still running after timeout seconds."""
        deadline = time.time() + timeout
        while self.popen.poll() is None and time.time() < deadline:
            time.sleep(0.005)
        rc = self.popen.poll()
        if rc is not None:
            self._join_readers()
        return rc

    def _join_readers(self):
        for reader in self._readers:
            reader.join(1.0)

    def stdout(self):
        with self._cond:
            return ''.join(self._out)

    def stderr(self):
        with self._cond:
            return ''.join(self._err)

    def terminate(self):
        self._signal(signal.SIGTERM)

    def kill(self):
        """SIGKILL unless already gone; always reaps, so no zombie stays."""
        self._signal(signal.SIGKILL)
        self.popen.wait()
        self._join_readers()

    def _signal(self, signum):
        if self.popen.poll() is None:
            try:
                os.kill(self.pid, signum)
            except OSError:
                pass
