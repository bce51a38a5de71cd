"""Work-arounds the beds' releases need on Debian 12 (libvirt 9.0, QEMU 7.2).

Shared by the in-process service bed (tests/servicebed/stack.py) and the
process-level gate (tests/gate/launch.py, inside the real nova-compute
process). They are the same for the stock driver and nova-sgfix's, and
touch no nova-sgfix code.
"""

import re


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


def patch_vcpu_count():
    """Count vCPUs as Havana does: skip a domain libvirt cannot answer for.

    Grizzly's ``get_vcpu_used`` lets any libvirtError but "no domain" from
    ``virDomainGetVcpus`` through; libvirt 9.0 with QEMU TCG raises
    "cpu affinity is not supported" for a domain still starting, and the
    build of a second guest booted at the same moment fails in
    ``_instance_update`` (seen on the gate's first Grizzly soak). Havana
    catches the error and skips the domain; this is Havana's loop. Applies
    to stock and nova-sgfix alike (nova-sgfix does not override it).
    """
    import libvirt
    from nova.virt.libvirt import driver
    cls = driver.LibvirtDriver
    if getattr(cls, '_bed_counts_vcpus', False):
        return

    def get_vcpu_used(self):
        total = 0
        for dom_id in self.list_instance_ids():
            try:
                vcpus = self._conn.lookupByID(dom_id).vcpus()
            except libvirt.libvirtError:
                continue
            if vcpus is not None:
                total += len(vcpus[1])
        return total
    cls.get_vcpu_used = get_vcpu_used
    cls._bed_counts_vcpus = True


def patch_qemu_img_decimal_sizes():
    """Read QEMU 7.2's decimal sizes with Rocky's oslo.utils.

    oslo.utils 3.36 (Rocky) parses the sizes of ``qemu-img info`` as whole
    numbers; QEMU 7.2 prints one decimal ("virtual size: 13.5 MiB (14155776
    bytes)", "disk size: 13.5 MiB"), and every image the libvirt driver
    fetches fails with ValueError. Where QEMU gives the byte count, that is
    the size; else the decimal is read. The same for both drivers.
    """
    from oslo_utils import imageutils
    cls = imageutils.QemuImgInfo
    if getattr(cls, '_bed_reads_decimals', False):
        return
    original = cls.__dict__['_extract_bytes']
    units = {'': 1, 'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40}

    def extract_bytes(self, details):
        exact = re.search(r'\((\d+) bytes\)', details)
        if exact:
            return int(exact.group(1))
        size = re.match(r'\s*(\d+\.\d+)\s*([KMGT]?)i?B?\s*$', details)
        if size:
            return int(float(size.group(1)) * units[size.group(2)])
        return original(self, details)
    cls._extract_bytes = extract_bytes
    cls._bed_reads_decimals = True
