"""Private Linux namespaces for `tenantlab run`: user + mount + network, with no privileges.

`enter_private_namespaces` moves the calling process (it must still be single-threaded) into a
new user namespace — mapping the caller's own uid and gid, so files it writes keep their owner —
plus a new mount namespace and a new network namespace that has only loopback. The process keeps
the capabilities a new user namespace grants for its own namespaces: enough to bring `lo` up, to
bind-mount a file over `/etc/hosts` and to listen on port 443, all of it invisible outside. A
program it then starts runs as the same uid without those capabilities.

Nothing needs undoing: the namespaces, the mounts in them and the addresses on their loopback end
with the last process in them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import ipaddress
import os
import socket
import struct
import sys
from pathlib import Path

from tenantlab.errors import TenantlabError

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
SIOCSIFADDR = 0x8916
SIOCSIFNETMASK = 0x891C
IFF_UP = 0x1

FALLBACK = (
    "instead, map the names for the whole machine with `sudo tenantlab hosts install` and serve "
    "them with `tenantlab up --as-microsoft` (docs/official-samples.md)"
)


class NamespacesRefused(TenantlabError):
    """This system does not let tenantlab make private namespaces."""


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _refused(reason: str) -> NamespacesRefused:
    return NamespacesRefused(
        f"tenantlab run needs private Linux namespaces, but {reason}: {FALLBACK}"
    )


def enter_private_namespaces() -> None:
    """Unshare user, mount and network namespaces; map our ids; make mounts private; lo up."""
    if not sys.platform.startswith("linux"):
        raise _refused(f"{sys.platform} has none")
    uid, gid = os.getuid(), os.getgid()
    libc = _libc()
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        reasons = {
            errno.EPERM: "this system does not allow unprivileged user namespaces "
            "(kernel.unprivileged_userns_clone, an AppArmor or seccomp policy)",
            errno.ENOSPC: "the limit of user namespaces is reached (user.max_user_namespaces)",
            errno.EUSERS: "the limit of user namespaces is reached (user.max_user_namespaces)",
            errno.EINVAL: "the process already runs threads (a bug: please report it)",
            errno.ENOSYS: "this kernel has no unshare(2)",
        }
        raise _refused(reasons.get(code, f"unshare(2) failed: {os.strerror(code)}"))
    try:
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    except OSError as exc:
        raise _refused(f"the new user namespace cannot map uid {uid} ({exc.strerror})") from None
    # Mounts made here must never propagate back out, whatever the host's propagation is.
    _mount(libc, b"none", b"/", MS_REC | MS_PRIVATE, "make the mounts private")
    loopback_up()


def _mount(libc: ctypes.CDLL, source: bytes, target: bytes, flags: int, what: str) -> None:
    if libc.mount(source, target, None, flags, None) != 0:
        code = ctypes.get_errno()
        raise _refused(f"it cannot {what} in its mount namespace ({os.strerror(code)})")


def bind_over(source: Path, target: Path) -> None:
    """Bind-mount the file `source` over `target` (in this mount namespace only)."""
    libc = _libc()
    real = os.path.realpath(target)
    if not os.path.isfile(real):
        raise _refused(f"{target} is not a file it can cover")
    _mount(libc, os.fsencode(source), os.fsencode(real), MS_BIND, f"bind-mount over {target}")


def loopback_up() -> None:
    """Bring `lo` up (a new network namespace starts with it down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP))


def add_loopback_address(address: str, label: str) -> None:
    """Put an IPv4 `address`/32 on the namespace's loopback as `lo:{label}` (e.g. the instance
    metadata service's 169.254.169.254), so servers can listen on it and clients reach it."""
    ip = ipaddress.IPv4Address(address)
    name = f"lo:{label}".encode()
    if len(name) > 15:
        raise ValueError(f"interface label too long: {label}")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        fcntl.ioctl(sock, SIOCSIFADDR, _ifreq_inet(name, ip))
        fcntl.ioctl(
            sock, SIOCSIFNETMASK, _ifreq_inet(name, ipaddress.IPv4Address("255.255.255.255"))
        )
        flags = struct.unpack(
            "16sH", fcntl.ioctl(sock, SIOCGIFFLAGS, struct.pack("16sH", name, 0))
        )[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH", name, flags | IFF_UP))


def _ifreq_inet(name: bytes, ip: ipaddress.IPv4Address) -> bytes:
    """struct ifreq holding a struct sockaddr_in."""
    sockaddr = struct.pack("HH4s8x", socket.AF_INET, 0, ip.packed)
    return struct.pack("16s16s", name, sockaddr)
