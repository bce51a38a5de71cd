"""Every difference between the nova releases nova-sgfix supports.

Grizzly (2013.1) to Mitaka (13.1) are the production targets, run as real
trees (tools/check-legacy-nova.sh); nova 18.x (Rocky) and 20.x (Train) from
PyPI carry the same nova-network firewall and are what the unit and
functional tests run against. What nova-sgfix calls has the same shape in
all of them except ``_create_domain``'s arguments (below). Nova 21.0.0
(Ussuri) removed the firewall driver. The rest of the package asks this
module instead of testing versions itself.
"""

from __future__ import absolute_import

import inspect

try:
    from oslo_config import cfg
except ImportError:  # Grizzly/Havana: oslo.config 1.x in the oslo namespace
    from oslo.config import cfg  # noqa

try:
    from oslo_log import log as logging
except ImportError:  # Grizzly/Havana: nova's incubator copy
    from nova.openstack.common import log as logging  # noqa

__all__ = ['cfg', 'logging']


def get_logger(name):
    """A logger that accepts ``instance=`` where the host's nova does."""
    return logging.getLogger(name)


def text(value):
    """``value`` as text; never raises for non-ASCII bytes on Python 2.

    Error messages reach us as bytes or unicode (a localized iptables
    stderr, a unicode instance uuid); Python 2's implicit conversions would
    turn a refusal into a UnicodeError.
    """
    try:
        return u'%s' % (value,)
    except UnicodeError:  # Python 2: bytes that are not ASCII
        return str(value).decode('utf-8', 'replace')


def nova_version():
    """The host nova's version string, or 'unknown'."""
    try:
        from nova import version
        return version.version_string()
    except Exception:
        return 'unknown'


def has_firewall_driver():
    """True where this nova still carries the nova-network firewall."""
    try:
        import nova.virt.firewall  # noqa
    except ImportError:
        return False
    return True


def field(instance, name, default=None):
    """Read a field from an Instance object or a Grizzly-era dict."""
    if isinstance(instance, dict):
        return instance.get(name, default)
    try:
        return getattr(instance, name)
    except (AttributeError, NotImplementedError):
        pass
    try:
        return instance[name]
    except Exception:
        return default


def instance_uuid(instance):
    return field(instance, 'uuid', '<unknown uuid>')


def _records(firewall):
    """The firewall driver's in-memory instance registry, by instance id.

    Havana and later keep ``instance_info[id] = (instance, network_info)``;
    Grizzly keeps ``instances[id]`` and ``network_infos[id]`` apart.
    """
    state = _state(firewall)
    records = state.get('instance_info', state.get('instances'))
    return records if isinstance(records, dict) else None


def _state(firewall):
    # Instance attributes only: NoopFirewallDriver answers every attribute
    # lookup with a no-op function through __getattr__.
    return getattr(firewall, '__dict__', {})


def keeps_iptables_filters(firewall):
    """False for NoopFirewallDriver (Neutron) and other non-iptables ones."""
    iptables = _state(firewall).get('iptables')
    return (_records(firewall) is not None and
            isinstance(getattr(iptables, 'ipv4', None), dict))


def firewall_knows(firewall, instance):
    records = _records(firewall)
    return records is not None and field(instance, 'id') in records


def recorded_network_info(firewall, instance):
    """The network_info the firewall driver last filtered the instance with."""
    instance_id = field(instance, 'id')
    state = _state(firewall)
    if 'instance_info' in state:
        record = state['instance_info'].get(instance_id)
        return record[1] if record else None
    return (state.get('network_infos') or {}).get(instance_id)


def remember_network_info(firewall, instance, network_info):
    """Point a known instance's record at the network_info just received.

    ``refresh_instance_security_rules`` rebuilds the chain from the record,
    so the record must describe the guest as it is about to start.
    """
    instance_id = field(instance, 'id')
    if 'instance_info' in _state(firewall):
        firewall.instance_info[instance_id] = (instance, network_info)
    else:
        firewall.instances[instance_id] = instance
        firewall.network_infos[instance_id] = network_info


def forget_instance(firewall, instance):
    """Remove the firewall driver's record of ``instance``, if any."""
    instance_id = field(instance, 'id')
    state = _state(firewall)
    for name in ('instance_info', 'instances', 'network_infos'):
        records = state.get(name)
        if isinstance(records, dict):
            records.pop(instance_id, None)


def cached_network_info(instance, legacy):
    """The network_info in the instance's info cache, or None.

    :param legacy: True where the firewall driver wants Grizzly's legacy
        list of ``(network, mapping)`` tuples.
    """
    if hasattr(instance, 'get_network_info'):  # Rocky and later
        network_info = instance.get_network_info()
    elif isinstance(instance, dict):  # Grizzly, and Havana's old callers
        cache = instance.get('info_cache') or {}
        network_info = cache.get('network_info')
        if network_info and not hasattr(network_info, 'legacy'):
            from nova.network import model as network_model
            network_info = network_model.NetworkInfo.hydrate(network_info)
    else:  # Havana Instance objects
        cache = getattr(instance, 'info_cache', None)
        network_info = getattr(cache, 'network_info', None)
    if not network_info:
        return None
    if legacy and hasattr(network_info, 'legacy'):
        return network_info.legacy()
    return network_info


def wants_legacy_network_info(firewall):
    """Grizzly's firewall driver keeps instances apart from network_infos."""
    return 'instance_info' not in _state(firewall)


def power_state_of(driver, instance):
    """The guest's power state as nova's ``power_state`` constant."""
    info = driver.get_info(instance)
    if isinstance(info, dict):
        return info['state']
    return info.state


def iptables_binary_name():
    """The chain prefix nova's IptablesManager uses in this process."""
    try:
        from nova.network import linux_net
    except ImportError:  # nova 21.0.0 and later: no nova-network
        return 'nova-compute'
    return linux_net.binary_name


def uses_ipv6():
    """nova's ``use_ipv6``: whether IptablesManager writes ip6tables too."""
    try:
        return bool(cfg.CONF.use_ipv6)
    except cfg.NoSuchOptError:
        return False


def saved_rules(iptables, ipv4=True):
    """The kernel's rules, read the way this nova's IptablesManager does.

    Grizzly to Rocky run ``iptables-save -c`` through the manager's
    ``execute``; Train through privsep, or the manager's
    ``redirect_privsep_calls_to`` where one is set.
    """
    command = 'iptables-save' if ipv4 else 'ip6tables-save'
    runner = (getattr(iptables, 'redirect_privsep', None) or
              getattr(iptables, 'execute', None))
    if runner is not None:
        out, _err = runner(command, '-c', run_as_root=True, attempts=5)
        return out
    from nova.privsep import linux_net as privsep_linux_net
    out, _err = privsep_linux_net.iptables_get_rules(ipv4=ipv4)
    return out


def applies_deferred(iptables):
    """True while someone deferred IptablesManager's applies."""
    return bool(getattr(iptables, 'iptables_apply_deferred', False))


def write_tables(iptables):
    """Write the in-memory tables now, under nova's ``iptables`` lock.

    ``IptablesManager._apply`` is the locked writer behind ``apply()`` in
    every supported release; ``apply()`` itself does nothing while applies
    are deferred.
    """
    iptables._apply()


def mark_tables_dirty(iptables):
    """Make the next apply() write the tables again.

    IptablesManager._apply() clears each table's dirty flag before it runs
    iptables-restore; if the restore then fails, a plain retry would skip the
    apply as having "no new rules" and the kernel would keep the old tables.
    """
    for tables in (getattr(iptables, 'ipv4', {}), getattr(iptables, 'ipv6',
                                                          {})):
        for table in tables.values():
            table.dirty = True


def _unwrapped(function):
    """The function under decorators that hide its parameters.

    Grizzly's ``attach_interface`` is wrapped by ``exception.wrap_exception``,
    whose wrapper takes ``(self, context, *args, **kw)``; on Python 2
    ``functools.wraps`` sets no ``__wrapped__``, so the original is found as
    the same-named function in the wrapper's closure.
    """
    function = getattr(function, '__func__', function)
    for _depth in range(10):
        inner = getattr(function, '__wrapped__', None)
        if inner is None:
            candidates = []
            for cell in getattr(function, '__closure__', None) or ():
                try:
                    value = cell.cell_contents
                except ValueError:  # empty cell
                    continue
                if (inspect.isfunction(value) and
                        value.__name__ == function.__name__):
                    candidates.append(value)
            inner = candidates[0] if len(candidates) == 1 else None
        if inner is None:
            break
        function = inner
    return function


def _parameter_names(function):
    function = _unwrapped(function)
    if hasattr(inspect, 'getfullargspec'):
        return inspect.getfullargspec(function).args
    return inspect.getargspec(function).args


def _bound(parent_method, args, kwargs):
    bound = dict(zip(_parameter_names(parent_method)[1:], args))
    bound.update(kwargs)
    return bound


def attach_interface_args(parent_method, args, kwargs):
    """The instance and the new interfaces of an attach_interface call.

    Grizzly passes ``(instance, image_meta, network_info)``, Havana to
    Mitaka ``(instance, image_meta, vif)``, Rocky and Train
    ``(context, instance, image_meta, vif)``.
    """
    bound = _bound(parent_method, args, kwargs)
    if 'vif' in bound:
        return bound['instance'], [bound['vif']]
    return bound['instance'], list(bound['network_info'])


def create_domain_instance(parent_method, args, kwargs):
    """The instance a ``_create_domain`` call starts, or None.

    Grizzly to Kilo take ``_create_domain(xml, domain, instance,
    launch_flags)`` (Havana adds ``power_on``), and only
    ``_create_domain_and_network`` passes the instance. Liberty on take
    ``(xml, domain, power_on, pause)`` (Newton adds ``post_xml_callback``)
    with no instance at all; the domain's UUID is the instance's (nova
    writes it into the guest XML), so a refusal can still name the instance.
    """
    bound = _bound(parent_method, args, kwargs)
    if bound.get('instance') is not None:
        return bound['instance']
    uuid = _domain_uuid(bound.get('domain'), bound.get('xml'))
    return {'uuid': uuid} if uuid else None


def _domain_uuid(domain, xml):
    try:
        if domain is not None:
            return domain.UUIDString()
        if xml:
            from xml.etree import ElementTree
            return ElementTree.fromstring(xml).findtext('uuid')
    except Exception:  # the domain went away, XML nova would not write
        pass
    return None


def _interface_key(vif):
    if isinstance(vif, tuple):  # Grizzly legacy (network, mapping)
        return vif[1].get('mac')
    return vif['address']


def merge_network_info(network_info, new_vifs):
    """network_info plus the interfaces it does not list yet, same type."""
    present = set(_interface_key(vif) for vif in network_info)
    added = [vif for vif in new_vifs if _interface_key(vif) not in present]
    if not added:
        return network_info
    return type(network_info)(list(network_info) + added)


# --- libvirt domains (start-up resync: does a carried chain's guest run?) --

def libvirt_connection(driver):
    """The driver's libvirt connection.

    Rocky and later keep it behind ``driver._host``; Grizzly and Havana
    expose it as the ``_conn`` property.
    """
    host = getattr(driver, '_host', None)
    if host is not None and hasattr(host, 'get_connection'):
        return host.get_connection()
    return driver._conn


def _libvirt_module():
    from nova.virt.libvirt import driver as libvirt_driver
    return getattr(libvirt_driver, 'libvirt', None)


def is_no_domain_error(exc):
    """True for libvirt's "domain not found" (real and nova's fake)."""
    code = getattr(exc, 'get_error_code', lambda: None)()
    expected = getattr(_libvirt_module(), 'VIR_ERR_NO_DOMAIN', 42)
    return code is not None and code == expected


def domain_by_name(connection, name):
    """The domain called ``name``, or None if libvirt has none.

    nova's fake libvirt of Rocky and later has no ``lookupByName``.
    """
    if not hasattr(connection, 'lookupByName'):
        for domain in all_domains(connection, 1 | 2):
            if domain.name() == name:
                return domain
        return None
    try:
        return connection.lookupByName(name)
    except Exception as exc:
        if is_no_domain_error(exc):
            return None
        raise


def all_domains(connection, flags):
    """Every domain, running or defined, on any libvirt-python."""
    if hasattr(connection, 'listAllDomains'):
        return connection.listAllDomains(flags)
    domains = [connection.lookupByID(number)
               for number in connection.listDomainsID()]
    return domains + [connection.lookupByName(name)
                      for name in connection.listDefinedDomains()]


def instance_name_for_id(instance_id):
    """The domain name nova gives instance ``instance_id``, or None.

    ``instance_name_template`` (default ``instance-%08x``) may name the uuid
    instead, which a chain does not carry.
    """
    try:
        return cfg.CONF.instance_name_template % int(instance_id)
    except (TypeError, ValueError, KeyError, cfg.NoSuchOptError):
        return None
