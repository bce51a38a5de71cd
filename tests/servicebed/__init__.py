"""A test bed that runs a release's own nova service stack against a real
libvirtd with booted QEMU guests (issue 11). See doc/servicebed.rst."""
