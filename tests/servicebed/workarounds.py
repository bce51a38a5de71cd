"""Work-arounds the beds' releases need on Debian 12 (libvirt 9.0, QEMU 7.2).

Also Rocky's cell database fixture, whose lock nova fixed in Stein.
Shared by the in-process service beds (tests/servicebed/stack.py and
functional_stack.py) and the process-level gate (tests/gate/launch.py,
inside the real nova-compute process). They are the same for the stock
driver and nova-sgfix's, and touch no nova-sgfix code.
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


def patch_cell_targeting_reentrant():
    """Let Rocky's cell fixture serve a call that crosses services.

    Rocky's ``CellDatabases`` test fixture holds one write lock for all of
    ``target_cell``; every untargeted database access waits for it. In one
    process with nova's fake RPC, the API's DELETE of a server whose compute
    is down targets cell1 and, inside, calls nova-network's
    ``deallocate_for_instance``, whose untargeted reads then wait until the
    API's call times out (rpc_response_timeout): a deadlock of the fixture,
    not of nova, where each service has its own process. nova fixed the
    fixture in Stein (commit 84b7e92934, "Make CellDatabases fixture
    reentrant"); Train has it. Here: a target_cell of the cell the fixture
    already points at changes no global state, so it runs under the read
    lock, which other readers share; any other target_cell keeps Rocky's
    write lock. The same for both drivers.
    """
    import contextlib

    from nova.tests import fixtures as nova_fixtures
    from nova import version
    cls = nova_fixtures.CellDatabases
    stein_or_later = int(version.version_string().split('.')[0]) >= 19
    if stein_or_later or getattr(cls, '_bed_shares_targeting', False):
        return
    original = cls.__dict__['_wrap_target_cell']

    @contextlib.contextmanager
    def target_cell(self, context, cell_mapping):
        if cell_mapping is None:
            desired = self._default_ctxt_mgr
        else:
            desired = self._ctxt_mgrs[cell_mapping.database_connection]
        with self._cell_lock.read_lock():
            if desired is self._last_ctxt_mgr:
                with self._real_target_cell(context, cell_mapping) as cctxt:
                    yield cctxt
                return
        with original(self, context, cell_mapping) as cctxt:
            yield cctxt
    cls._wrap_target_cell = target_cell
    cls._bed_shares_targeting = True
