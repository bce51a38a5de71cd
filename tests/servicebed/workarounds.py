"""Work-arounds a Havana/Grizzly nova needs on Debian 12's libvirt 9.0.

Shared by the in-process service bed (tests/servicebed/stack.py) and the
process-level gate (tests/gate/launch.py, inside the real nova-compute
process). They are the same for the stock driver and nova-sgfix's, and
touch no nova-sgfix code.
"""


def _define_filter_keeping_uuid(original):
    """Carry a defined nwfilter's UUID into its new XML.

    libvirt 9.0 refuses to redefine an nwfilter by name without its UUID;
    Havana's static filters carry none, so a second nova-compute start fails
    on the host's libvirt (Train already does this). Applies to stock and
    nova-sgfix alike.
    """
    import re

    def define(self, xml):
        if callable(xml):
            xml = xml()
        name = re.search(r"<filter[^>]*name=['\"]([^'\"]+)", xml)
        if name and '<uuid>' not in xml:
            try:
                uuid = self._conn.nwfilterLookupByName(
                    name.group(1)).UUIDString()
            except Exception:
                uuid = None
            if uuid:
                xml = re.sub(r'(<filter[^>]*>)', r'\1<uuid>%s</uuid>' % uuid,
                             xml, count=1)
        return original(self, xml)
    return define


def patch_nwfilter_uuid():
    from nova.virt.libvirt import firewall
    cls = firewall.NWFilterFirewall
    if not getattr(cls, '_bed_keeps_uuid', False):
        cls._define_filter = _define_filter_keeping_uuid(
            cls.__dict__['_define_filter'])
        cls._bed_keeps_uuid = True
