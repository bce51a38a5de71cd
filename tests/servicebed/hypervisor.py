"""The bed's network namespaces and its own libvirtd (issue 11).

``Bed`` owns everything it makes: three namespaces (the compute host, where
libvirtd, QEMU and nova's iptables rules live; a peer inside the allowed
CIDR; an outsider), the veth links between them, a libvirtd started inside
the host namespace with the qemu.conf settings it needs, and every domain
and nwfilter libvirt holds when the bed ends. ``close()`` undoes all of it
and restores qemu.conf; it is safe to call twice and from a signal handler.
Nothing is done in the machine's own network namespace.
"""

from __future__ import print_function

import ctypes
import os
import tempfile
try:
    from shlex import quote
except ImportError:     # Python 2.7
    from pipes import quote

QEMU_CONF = '/etc/libvirt/qemu.conf'
AUTOSTART = '/etc/libvirt/qemu/networks/autostart/default.xml'
QEMU_SETTINGS = (
    'security_driver = "none"', 'namespaces = [ ]', 'user = "root"',
    'group = "root"', 'dynamic_ownership = 0', 'remember_owner = 0',
    'stdio_handler = "file"')

PEER = ('198.51.100.1', '198.51.100.2')      # allowed CIDR 198.51.100.0/24
OUTSIDER = ('203.0.113.1', '203.0.113.2')
ALLOWED_CIDR = '198.51.100.0/24'
FIXED_CIDR = '10.77.0.0/24'
CLONE_NEWNET = 0x40000000
CLONE_NEWNS = 0x00020000
MS_REC = 0x4000
MS_SLAVE = 0x80000
MNT_DETACH = 2


MARKER = '# nova-sgfix service bed (removed on exit)'


def _line(cmd):
    return ' '.join(quote(c) for c in cmd)


# os.system and os.popen, not subprocess and time.sleep: nova's eventlet
# monkey-patching makes those green, and a signal handler runs in eventlet's
# hub, where green calls are refused ("do not call blocking functions from
# the mainloop"). Clean-up must work there too.
def sh(*cmd):
    if os.system(_line(cmd)) != 0:
        raise RuntimeError('failed: %s' % _line(cmd))


def quiet(*cmd):
    return os.system(_line(cmd) + ' >/dev/null 2>&1')


def output(*cmd):
    # Not os.popen: on Python 3 it is subprocess, which eventlet makes green.
    fd, path = tempfile.mkstemp(prefix='nova-sgfix-bed-out.')
    os.close(fd)
    try:
        os.system('%s >%s 2>/dev/null' % (_line(cmd), quote(path)))
        with open(path) as f:
            return f.read()
    finally:
        os.unlink(path)


def pause(seconds):
    os.system('sleep %d' % seconds)


def enter_namespace(name, own_sysfs=False):
    """Move this (still single-threaded) process into netns ``name``.

    :param own_sysfs: also give the process a mount namespace of its own
        with the namespace's sysfs on /sys, as ``ip netns exec`` does:
        Rocky's and Train's nova read /sys/class/net to see whether a
        device exists.
    """
    libc = ctypes.CDLL('libc.so.6', use_errno=True)
    fd = os.open('/var/run/netns/' + name, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), 'setns %s failed' % name)
    finally:
        os.close(fd)
    if own_sysfs:
        _own_sysfs(libc, name)


#: nsenter's option that runs a command in the mount namespace this process
#: had before ``_own_sysfs``: ``ip netns del`` must unmount the namespace
#: there, where ``ip netns add`` mounted it.
_home_mounts = []


def in_home_mounts(*cmd):
    return tuple(_home_mounts) + cmd


def _own_sysfs(libc, name):
    def check(result, what):
        if result != 0:
            raise OSError(ctypes.get_errno(), '%s failed' % what)
    home = os.open('/proc/self/ns/mnt', os.O_RDONLY)
    _home_mounts[:] = ['nsenter', '--mount=/proc/%d/fd/%d'
                       % (os.getpid(), home)]
    check(libc.unshare(CLONE_NEWNS), 'unshare(CLONE_NEWNS)')
    # Mounts made from here on stay in this process's namespace.
    check(libc.mount(b'none', b'/', None, MS_REC | MS_SLAVE, None),
          'mount --make-rslave /')
    check(libc.umount2(b'/sys', MNT_DETACH), 'umount /sys')
    check(libc.mount(name.encode('ascii'), b'/sys', b'sysfs', 0, None),
          'mount sysfs')


class Bed(object):

    def __init__(self, tag, workdir):
        self.host = 'sbh-%s' % tag
        self.peer = 'sbp-%s' % tag
        self.outsider = 'sbo-%s' % tag
        self.workdir = workdir
        self._made = []
        self._conf_changed = False
        self._autostart_backup = None
        self._filters_before = None
        self._closed = False

    # --- set-up -------------------------------------------------------
    def open(self):
        for ns in (self.host, self.peer, self.outsider):
            sh('ip', 'netns', 'add', ns)
            self._made.append(ns)
            sh('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up')
        self._link(self.peer, 'sbp0', PEER)
        self._link(self.outsider, 'sbo0', OUTSIDER)
        sh('ip', 'netns', 'exec', self.host, 'sysctl', '-qw',
           'net.ipv4.ip_forward=1')
        self._configure_qemu()
        self._start_libvirtd()

    def _link(self, ns, dev, addrs):
        host_ip, ns_ip = addrs
        sh('ip', 'link', 'add', dev + 'h', 'netns', self.host, 'type', 'veth',
           'peer', 'name', dev, 'netns', ns)
        for where, name, ip in ((self.host, dev + 'h', host_ip),
                                (ns, dev, ns_ip)):
            sh('ip', 'netns', 'exec', where, 'ip', 'addr', 'add', ip + '/24',
               'dev', name)
            sh('ip', 'netns', 'exec', where, 'ip', 'link', 'set', name, 'up')
        sh('ip', 'netns', 'exec', ns, 'ip', 'route', 'add', FIXED_CIDR,
           'via', host_ip)

    def _configure_qemu(self):
        _strip_qemu_settings()
        with open(QEMU_CONF, 'a') as f:
            f.write('\n%s\n%s\n' % (MARKER, '\n'.join(QEMU_SETTINGS)))
        self._conf_changed = True
        if os.path.lexists(AUTOSTART):
            self._autostart_backup = os.readlink(AUTOSTART)
            os.unlink(AUTOSTART)

    def _start_libvirtd(self):
        self.pidfile = os.path.join(self.workdir, 'libvirtd.pid')
        sh('ip', 'netns', 'exec', self.host, 'libvirtd', '--daemon',
           '--pid-file', self.pidfile)
        for _ in range(90):
            if quiet('virsh', '-c', 'qemu:///system', 'version') == 0:
                self._filters_before = set(self._nwfilters())
                return
            pause(1)
        raise RuntimeError('libvirtd did not answer within 90 s')

    def _virsh(self, *args):
        return output('virsh', '-q', '-c', 'qemu:///system', *args)

    def _nwfilters(self):
        out = self._virsh('nwfilter-list')
        return [line.split()[1] for line in out.splitlines() if line.strip()]

    # --- probes -------------------------------------------------------
    def reachable(self, ns, ip, port, timeout=3):
        """One TCP connect from namespace ``ns``; True if it was accepted."""
        return quiet('ip', 'netns', 'exec', ns, 'timeout', str(timeout),
                     'bash', '-c', 'exec 3<>/dev/tcp/%s/%d' % (ip, port)) == 0

    def reachable_all(self, targets, timeout=3):
        """One TCP connect per ``(namespace, ip, port)``, all at once.

        :returns: a list of booleans, True where the connect was accepted.
        :raises RuntimeError: if a probe reported nothing (never read as
            "refused", which would hide an exposure).
        """
        lines = []
        for number, (ns, ip, port) in enumerate(targets):
            probe = _line(['ip', 'netns', 'exec', ns, 'timeout',
                           str(timeout), 'bash', '-c',
                           'exec 3<>/dev/tcp/%s/%d' % (ip, port)])
            lines.append('(%s >/dev/null 2>&1; echo "%d $?") &'
                         % (probe, number))
        lines.append('wait')
        done = {}
        for line in output('bash', '-c', '\n'.join(lines)).splitlines():
            number, status = line.split()
            done[int(number)] = status == '0'
        if len(done) != len(targets):
            raise RuntimeError('probes gave %d of %d answers'
                               % (len(done), len(targets)))
        return [done[number] for number in range(len(targets))]

    def domain_state(self, name):
        """libvirt's word for a domain's state ('running', 'shut off')."""
        return self._virsh('domstate', name).strip() or 'no domain'

    def iptables_save(self):
        return output('ip', 'netns', 'exec', self.host, 'iptables-save')

    # --- clean-up -----------------------------------------------------
    def close(self):
        if self._closed:
            return
        self._closed = True
        try:
            self.remove_libvirt_objects()
        except Exception as exc:   # libvirtd already gone: go on
            print('servicebed: cleaning libvirt objects: %s' % exc)
        for ns in reversed(self._made):
            self._kill_namespace_processes(ns)
            quiet(*in_home_mounts('ip', 'netns', 'del', ns))
        if self._conf_changed:
            _strip_qemu_settings()
        if self._autostart_backup and not os.path.lexists(AUTOSTART):
            os.symlink(self._autostart_backup, AUTOSTART)

    def remove_libvirt_objects(self):
        """Destroy and undefine every domain; undefine the new nwfilters."""
        if self._filters_before is None:
            return
        for name in self._virsh('list', '--all', '--name').split():
            quiet('virsh', '-c', 'qemu:///system', 'destroy', name)
            quiet('virsh', '-c', 'qemu:///system', 'undefine', name)
        # Instance filters first: they reference the static ones.
        new = [f for f in self._nwfilters() if f not in self._filters_before]
        for _ in range(3):
            for name in sorted(new, key=lambda n: not n.startswith(
                    'nova-instance')):
                quiet('virsh', '-c', 'qemu:///system', 'nwfilter-undefine',
                      name)
            new = [f for f in self._nwfilters()
                   if f not in self._filters_before]
            if not new:
                break

    def _kill_namespace_processes(self, ns):
        out = output('ip', 'netns', 'pids', ns)
        pids = [int(p) for p in out.split() if int(p) != os.getpid()]
        for sig in (15, 9):
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
            pause(1 if sig == 15 else 0)


def _strip_qemu_settings():
    """Remove what a bed (this one or a killed one) appended to qemu.conf."""
    with open(QEMU_CONF) as f:
        text = f.read()
    at = text.find('\n' + MARKER)
    if at >= 0:
        with open(QEMU_CONF, 'w') as f:
            f.write(text[:at].rstrip('\n') + '\n')
