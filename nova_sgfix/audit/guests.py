"""Turn libvirt domain and nwfilter XML into guests, NICs and fixed IPs.

nova's libvirt VIF driver (Grizzly through Train) writes only the filter
name into the domain XML: ``<filterref filter='nova-instance-NAME-MAC'/>``.
The fixed IPs live in that nwfilter's own definition, as ``IP`` parameters,
next to ``DHCPSERVER``, ``PROJNET``/``PROJMASK`` and, with IPv6,
``RASERVER`` and ``PROJNET6``/``PROJMASK6``. nova writes no IPv6 address
parameter: nova-network's default ``rfc2462`` backend derives the address
from the /64 prefix and the MAC, so the audit does the same. Parameters
found in the domain XML's filterref (or an ``IPV6`` parameter) are used too.
"""

from __future__ import absolute_import
from __future__ import print_function

import collections
import socket

try:
    # Python 2's pure-Python ElementTree is several times slower.
    from xml.etree import cElementTree as ElementTree
except ImportError:
    from xml.etree import ElementTree

NOVA_FILTER_PREFIX = 'nova-instance-'


class GuestXMLError(ValueError):
    """A domain or nwfilter XML document cannot be read."""


class FilterUnavailable(Exception):
    """nwfilters cannot be read at all (no nwfilter driver, ...).

    Raised by a filter lookup; the guest is then judged on the addresses
    its domain XML names.
    """


class Nic(collections.namedtuple(
        'Nic', 'mac filter_name filter_found ipv4 ipv6 has_ipv6 unreadable '
        'filter_error')):
    """One interface of a guest.

    filter_name is None when the interface carries no nova filterref;
    filter_found is False when libvirt has no nwfilter of that name, None
    when nwfilters could not be read (filter_error says why); ipv4
    and ipv6 are normalised host addresses; has_ipv6 says nova gave the NIC
    an IPv6 subnet even if no address could be derived; unreadable lists
    parameter values that are not addresses.
    """

    __slots__ = ()


class Guest(collections.namedtuple('Guest',
                                   'name uuid state active nics error')):
    """One libvirt domain; error is set when it could not be read."""

    __slots__ = ()


def host_address(text):
    """Normalise an address (``a.b.c.d``, ``x::y``, or either as /32, /128).

    :returns: ``(4 or 6, canonical text)``, or None if ``text`` is not a
        single host address
    """
    addr, _sep, prefix = text.partition('/')
    for family, version, bits in ((socket.AF_INET, 4, '32'),
                                  (socket.AF_INET6, 6, '128')):
        try:
            packed = socket.inet_pton(family, addr)
        except (socket.error, ValueError, UnicodeError):
            continue
        if prefix and prefix != bits:
            return None
        return version, socket.inet_ntop(family, packed)
    return None


def eui64_address(prefix, prefixlen, mac):
    """The RFC 2462 (SLAAC) address nova-network gives a MAC in a /64.

    :returns: canonical IPv6 text, or None if the inputs do not allow it
    """
    if str(prefixlen).lstrip('/') != '64':
        return None
    try:
        net = bytearray(socket.inet_pton(socket.AF_INET6, prefix))
        octets = bytearray(int(part, 16) for part in mac.split(':'))
    except (socket.error, ValueError, UnicodeError):
        return None
    if len(octets) != 6:
        return None
    iid = bytearray([octets[0] ^ 0x02, octets[1], octets[2], 0xff, 0xfe,
                     octets[3], octets[4], octets[5]])
    return socket.inet_ntop(socket.AF_INET6, bytes(net[:8] + iid))


def _parse(xml, what):
    try:
        return ElementTree.fromstring(xml)
    except (ElementTree.ParseError, ValueError, TypeError) as exc:
        raise GuestXMLError('%s XML is malformed: %s' % (what, exc))


def _parameters(element, into):
    for param in element.iter('parameter'):
        name = param.get('name')
        value = param.get('value')
        if name and value is not None:
            into.setdefault(name.upper(), []).append(value.strip())
    return into


def filter_parameters(xml):
    """Return ``{NAME: [values]}`` from an nwfilter definition."""
    return _parameters(_parse(xml, 'nwfilter'), {})


def domain_interfaces(xml):
    """Read a domain's identity and NICs.

    :returns: ``(name, uuid, [(mac, filter name or None, params)])``
    :raises GuestXMLError: if the XML is malformed
    """
    root = _parse(xml, 'domain')
    if root.tag != 'domain':
        raise GuestXMLError('not a domain document: <%s>' % root.tag)
    nics = []
    for iface in root.findall('./devices/interface'):
        mac_el = iface.find('mac')
        mac = (mac_el.get('address') if mac_el is not None else '') or ''
        ref = iface.find('filterref')
        name = ref.get('filter') if ref is not None else None
        if not name or not name.startswith(NOVA_FILTER_PREFIX):
            nics.append((mac.lower(), None, {}))
            continue
        nics.append((mac.lower(), name, _parameters(ref, {})))
    return root.findtext('name'), root.findtext('uuid'), nics


def _nic(mac, filter_name, lookup_filter, params):
    error = None
    try:
        filter_xml = lookup_filter(filter_name)
    except FilterUnavailable as exc:
        filter_xml, error = None, str(exc)
    params = dict((k, list(v)) for k, v in params.items())
    if filter_xml is not None:
        for key, values in filter_parameters(filter_xml).items():
            params.setdefault(key, []).extend(values)
    ipv4, ipv6, unreadable = [], [], []
    for value in params.get('IP', []) + params.get('IPV6', []):
        parsed = host_address(value)
        if parsed is None:
            unreadable.append(value)
        elif parsed[1] not in (ipv4 if parsed[0] == 4 else ipv6):
            (ipv4 if parsed[0] == 4 else ipv6).append(parsed[1])
    for net, plen in zip(params.get('PROJNET6', []),
                         params.get('PROJMASK6', [])):
        derived = eui64_address(net, plen, mac)
        if derived and derived not in ipv6:
            ipv6.append(derived)
    has_ipv6 = bool(ipv6 or params.get('RASERVER') or params.get('PROJNET6'))
    found = None if error else filter_xml is not None
    return Nic(mac, filter_name, found, ipv4, ipv6, has_ipv6, unreadable,
               error)


def build_guest(domain_xml, state, active, lookup_filter):
    """Build a :class:`Guest` from a domain's XML.

    :param domain_xml: the domain's XML description
    :param state: a state name (``running``, ``paused``, ...)
    :param active: whether the domain is running or paused
    :param lookup_filter: callable taking an nwfilter name and returning its
        XML, or None when libvirt has no such filter; errors it raises
        propagate, because they concern the whole host
    """
    try:
        name, uuid, raw = domain_interfaces(domain_xml)
        nics = []
        for mac, filter_name, params in raw:
            if filter_name is None:
                nics.append(Nic(mac, None, False, [], [], False, [], None))
                continue
            nics.append(_nic(mac, filter_name, lookup_filter, params))
    except GuestXMLError as exc:
        name, uuid = _identity(domain_xml)
        return Guest(name, uuid, state, active, [], str(exc))
    return Guest(name, uuid, state, active, nics, None)


def _identity(xml):
    try:
        root = ElementTree.fromstring(xml)
        return root.findtext('name'), root.findtext('uuid')
    except Exception:
        return None, None
