"""Throwaway certificates for the fakes' TLS, made with the ``openssl`` command line.

``TestCa(directory)`` writes a CA (``ca.pem``: what a client is told to trust, e.g.
``NOTIFY_SMTP_CAFILE``); ``ca.issue("name", ["localhost", "127.0.0.1"])`` a server
certificate it signs for those host names and IP addresses (subjectAltName), returned as a
server-side ``ssl.SSLContext``. A certificate for another name, or from another
``TestCa``, is how a test shows that a client refuses it. EC P-256 keys, valid two
days; a CA and one certificate take ~80 ms. No third-party package (``cryptography``,
``trustme``) needed.
"""

from __future__ import annotations

import ipaddress
import ssl
import subprocess
from pathlib import Path

DAYS = "2"
KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


def _san(host: str) -> str:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return f"DNS:{host}"
    return f"IP:{host}"


class TestCa:
    """A certificate authority in ``directory`` (see the module docstring)."""

    __test__ = False  # not a pytest test class

    def __init__(self, directory: Path, name: str = "Timpora Test CA") -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.cert, self.key = directory / "ca.pem", directory / "ca.key"
        _openssl(
            *("req", "-x509", *KEY, "-keyout", self.key.name, "-out", self.cert.name),
            *("-days", DAYS, "-subj", f"/CN={name}"),
            *("-addext", "basicConstraints=critical,CA:TRUE"),
            *("-addext", "keyUsage=critical,keyCertSign,cRLSign"),
            cwd=directory,
        )

    def issue(self, name: str, hosts: list[str]) -> ssl.SSLContext:
        """A server certificate for ``hosts`` signed by this CA, as a server context
        (``name.pem`` with the key in ``name.key``)."""
        cert, key, csr, ext = (
            self.directory / f"{name}{s}" for s in (".pem", ".key", ".csr", ".ext")
        )
        ext.write_text(
            f"subjectAltName={','.join(_san(h) for h in hosts)}\n"
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\n"
            "subjectKeyIdentifier=hash\n"
            "authorityKeyIdentifier=keyid,issuer\n"
        )
        subject = f"/CN={hosts[0]}"
        _openssl(
            *("req", "-new", *KEY, "-keyout", key.name, "-out", csr.name, "-subj", subject),
            cwd=self.directory,
        )
        _openssl(
            *("x509", "-req", "-in", csr.name, "-CA", self.cert.name, "-CAkey", self.key.name),
            *("-CAcreateserial", "-days", DAYS, "-extfile", ext.name, "-out", cert.name),
            cwd=self.directory,
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        return context
