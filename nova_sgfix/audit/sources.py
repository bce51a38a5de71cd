"""Read the host: guests from libvirt (read-only) and rules from iptables-save.

Nothing here writes: libvirt is opened with ``openReadOnly`` and the only
command run is ``iptables-save``/``ip6tables-save``. The libvirt binding is
imported when a connection is opened, so the parser and the checks work
(and are tested) on machines without it. Failures that concern the whole
host raise :class:`SourceError`; the command reports them as UNKNOWN.
"""

from __future__ import absolute_import
from __future__ import print_function

import errno
import io
import os
import subprocess
import sys

from nova_sgfix.audit import guests as guests_mod

STATE_NAMES = {0: 'nostate', 1: 'running', 2: 'blocked', 3: 'paused',
               4: 'shutdown', 5: 'shutoff', 6: 'crashed', 7: 'pmsuspended'}
# libvirt's error codes, stable since the 0.x releases.
_ERR_NO_SUPPORT = 3
_ERR_NO_DOMAIN = 42
_ERR_NO_NWFILTER = 62


class SourceError(Exception):
    """libvirt, a ruleset file or iptables-save could not be read."""


def _libvirt():
    try:
        import libvirt
    except ImportError as exc:
        raise SourceError('the libvirt Python binding is not installed: %s'
                          % exc)
    return libvirt


def _quiet(_ctx, _err):
    """Keep libvirt from printing errors that we report ourselves."""


def _code(exc):
    try:
        return exc.get_error_code()
    except Exception:
        return None


def open_libvirt(uri):
    """Open ``uri`` read-only.

    :raises SourceError: if the binding is missing or libvirt is unreachable
    """
    libvirt = _libvirt()
    libvirt.registerErrorHandler(_quiet, None)
    try:
        conn = libvirt.openReadOnly(uri)
    except libvirt.libvirtError as exc:
        raise SourceError('cannot connect to libvirt at %s: %s' % (uri, exc))
    if conn is None:
        raise SourceError('cannot connect to libvirt at %s' % uri)
    return conn


def libvirt_filter_lookup(conn):
    """Return a lookup of nwfilter XML by name through ``conn``.

    A filter libvirt does not have gives None; a connection without an
    nwfilter driver (such as libvirt's test driver) raises
    :class:`guests_mod.FilterUnavailable`, so that guests whose domain XML
    names their addresses are still judged.
    """
    libvirt = _libvirt()

    def lookup(name):
        try:
            return conn.nwfilterLookupByName(name).XMLDesc(0)
        except libvirt.libvirtError as exc:
            code = _code(exc)
            if code == _ERR_NO_NWFILTER:
                return None
            if code == _ERR_NO_SUPPORT:
                raise guests_mod.FilterUnavailable(
                    'this libvirt connection has no nwfilter driver (use '
                    '--nwfilter-dir): %s' % exc)
            raise SourceError('cannot read nwfilter %s: %s' % (name, exc))
    return lookup


def directory_filter_lookup(path):
    """Return a lookup of nwfilter XML from ``<path>/<name>.xml``.

    libvirt keeps each persistent nwfilter in such a file
    (``/etc/libvirt/nwfilter``); this serves copies of a host and libvirt
    connections that have no nwfilter driver.
    """
    if not os.path.isdir(path):
        raise SourceError('nwfilter directory %s does not exist' % path)

    def lookup(name):
        if os.sep in name or name.startswith('.'):
            return None
        try:
            with io.open(os.path.join(path, name + '.xml'),
                         encoding='utf-8') as f:
                return f.read()
        except (IOError, OSError) as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise SourceError('cannot read nwfilter %s: %s' % (name, exc))
    return lookup


def _all_domains(conn, libvirt):
    """Every domain; libvirt before 0.9.13 (Grizzly hosts) lacks listAll."""
    try:
        return conn.listAllDomains(0)
    except AttributeError:
        pass
    except libvirt.libvirtError as exc:
        if _code(exc) != _ERR_NO_SUPPORT:
            raise
    domains = []
    for dom_id in conn.listDomainsID():
        try:
            domains.append(conn.lookupByID(dom_id))
        except libvirt.libvirtError as exc:
            if _code(exc) != _ERR_NO_DOMAIN:
                raise
    for name in conn.listDefinedDomains():
        try:
            domains.append(conn.lookupByName(name))
        except libvirt.libvirtError as exc:
            if _code(exc) != _ERR_NO_DOMAIN:
                raise
    return domains


def read_guests(conn, lookup_filter):
    """List every domain of ``conn`` as a guest, sorted by name.

    Only active guests get their NICs and filters read. A domain that
    disappears while being read is left out; one that cannot be read
    otherwise becomes a guest with ``error`` set.
    """
    libvirt = _libvirt()
    try:
        domains = _all_domains(conn, libvirt)
    except libvirt.libvirtError as exc:
        raise SourceError('cannot list libvirt domains: %s' % exc)
    result = []
    for dom in domains:
        name = uuid = state = None
        try:
            name = dom.name()
            uuid = dom.UUIDString()
            state = STATE_NAMES.get(dom.state()[0], 'nostate')
            if not dom.isActive():
                result.append(guests_mod.Guest(name, uuid, state, False,
                                               [], None))
                continue
            xml = dom.XMLDesc(0)
        except libvirt.libvirtError as exc:
            if _code(exc) == _ERR_NO_DOMAIN:
                continue
            result.append(guests_mod.Guest(name, uuid, state, True, [],
                                           'cannot read domain: %s' % exc))
            continue
        guest = guests_mod.build_guest(xml, state, True, lookup_filter)
        result.append(guest._replace(name=name, uuid=uuid))
    result.sort(key=lambda g: g.name or '')
    return result


def _decode(data):
    return data.decode('utf-8', 'replace') if isinstance(data, bytes) else data


def read_ruleset_text(spec, command):
    """Return ``(text, source name)`` of a ruleset.

    :param spec: None to run ``command -t filter``, ``-`` for standard
        input, or a file name
    :raises SourceError: if the file or command fails
    """
    if spec == '-':
        stream = getattr(sys.stdin, 'buffer', sys.stdin)
        return _decode(stream.read()), '<stdin>'
    if spec is not None:
        try:
            with io.open(spec, 'rb') as f:
                return _decode(f.read()), spec
        except (IOError, OSError) as exc:
            raise SourceError('cannot read %s: %s' % (spec, exc))
    argv = [command, '-t', 'filter']
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        out, err = proc.communicate()
    except OSError as exc:
        raise SourceError('cannot run %s: %s' % (command, exc))
    if proc.returncode != 0:
        raise SourceError('%s exited %d: %s' % (' '.join(argv),
                                                proc.returncode,
                                                _decode(err).strip()))
    return _decode(out), command
