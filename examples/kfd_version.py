"""Ask the AMD GPU kernel driver for its interface version through /dev/kfd, no vendor SDK.

    mkdir -p shim && ln -sfn /usr/include/libdrm shim/drm    # Debian keeps drm/drm.h in libdrm-dev
    lazybind generate linux/kfd_ioctl.h -I shim -o kfd.py    # no --library: types and constants
    python examples/kfd_version.py
"""

import os
import sys

import kfd

if not os.path.exists("/dev/kfd"):
    sys.exit("no /dev/kfd on this machine (no AMD GPU driver); AMDKFD_IOC_GET_VERSION = %#x"
             % (kfd.AMDKFD_IOC_GET_VERSION & 0xFFFFFFFF))
fd = os.open("/dev/kfd", os.O_RDWR | os.O_CLOEXEC)
try:
    args = kfd.struct_kfd_ioctl_get_version_args()
    kfd.__lazybind__.ioctl(fd, kfd.AMDKFD_IOC_GET_VERSION, args)  # filled in place; OSError on failure
    print("KFD interface %d.%d" % (args.major_version, args.minor_version))
finally:
    os.close(fd)
