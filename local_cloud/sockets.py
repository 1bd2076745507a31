"""Which TCP addresses the tier's processes listen on (Linux ``/proc``), to prove they stay on loopback."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

_PROC = Path("/proc")
_LISTEN = "0A"


def group_pids(pgid: int) -> list[int]:
    """Pids of every live process in process group ``pgid``."""
    pids = []
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    pids.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                continue
    return pids


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in (_PROC / str(pid) / "fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    except (FileNotFoundError, PermissionError):
        pass
    return inodes


def _decode(hex_address: str) -> tuple[str, int]:
    host_hex, port_hex = hex_address.split(":")
    raw = bytes.fromhex(host_hex)
    if len(raw) == 4:
        host = str(ipaddress.IPv4Address(raw[::-1]))
    else:  # /proc/net/tcp6: four little-endian 32-bit words
        host = str(ipaddress.IPv6Address(b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))))
    return host, int(port_hex, 16)


def listening_addresses(pgid: int) -> set[tuple[str, int]]:
    """``(host, port)`` of every TCP socket in LISTEN state owned by a process of group ``pgid``."""
    inodes = set().union(*(_socket_inodes(pid) for pid in group_pids(pgid)))
    found = set()
    for table in ("tcp", "tcp6"):
        path = _PROC / "net" / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == _LISTEN and fields[9] in inodes:
                found.add(_decode(fields[1]))
    return found


def non_loopback(addresses: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """The addresses that are not on the loopback interface."""
    return {(host, port) for host, port in addresses if not ipaddress.ip_address(host).is_loopback}
