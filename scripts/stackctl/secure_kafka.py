"""A second, secured single-node Kafka (KRaft, broker and controller in one JVM) for tests.

Jars, Java, log4j config and topic/log settings come from :mod:`.kafka`; the normal broker
(``.stack/kafka``) is left alone. Certificates, config, data and ``broker.log`` live in the
given ``home``; storage is formatted afresh on every start.

- TLS: ``openssl`` makes a throw-away CA and a server certificate (SAN ``IP:127.0.0.1``,
  ``DNS:localhost``) that Kafka reads as PEM (no JKS). The key is unencrypted PKCS#8: JDK 17
  cannot read openssl's PBES2-encrypted keys ("PBES2 SecretKeyFactory not available").
- Clients: ``SASL_SSL`` with SCRAM-SHA-512 and -256. ``users`` and the super user ``admin``
  (random password) get both at format time (``StorageTool --add-scram``); inter-broker
  traffic uses this listener as ``admin``.
- Controller: ``SASL_PLAINTEXT``/PLAIN with one static JAAS user ``controller`` (random
  password): that listener gives nobody anonymous rights either.
- ``StandardAuthorizer``, ``allow.everyone.if.no.acl.found=false``,
  ``super.users=User:admin;User:controller``: a user without ACLs can log in, nothing more.

Standard library only, like all of ``stackctl``: readiness is :func:`scram_login`, a SCRAM
login as ``admin`` over TLS verified against the CA. The client listener serves only once
the broker is unfenced with its metadata (credentials, ACLs) loaded, so a login means real
clients work. :func:`add_scram_user` runs ConfigCommand from ``kafka-tools`` (not among the
broker's jars: ``mvn`` copies that one jar once). JVMs run C1-only: ~4.5 s to start, not ~6.

``scripts`` is no package: tests put ``scripts/`` on ``sys.path`` (like
``tests/unit/test_stack_script.py``) and import ``stackctl.secure_kafka``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import shutil
import socket
import ssl
import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import kafka as base
from .common import (
    CACHE,
    StackError,
    alive,
    apt_install,
    port_in_use,
    run,
    say,
    stop_process,
    tail_file,
)

ADMIN = "admin"
MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256")
SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"
CONFIG_COMMAND = "org.apache.kafka.tools.ConfigCommand"  # in kafka-tools: see _tools_jar()
# Names and passwords go into --add-scram's [k=v,...] syntax and into quoted JAAS values.
SAFE_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
SAFE_PASSWORD = re.compile(r"[A-Za-z0-9._~!@#%^*+-]{1,128}")


@dataclass(frozen=True)
class SecureKafka:
    home: Path
    port: int  # SASL_SSL listener for clients (SCRAM-SHA-256 and SCRAM-SHA-512 enabled)
    controller_port: int  # SASL_PLAINTEXT, PLAIN, only the static user `controller`
    ca_file: Path  # PEM of the CA that signed the broker's certificate
    admin: tuple[str, str]  # (username, password) of a super user
    pid: int
    mechanism: str = "SCRAM-SHA-512"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __repr__(self) -> str:  # no password in pytest's output
        return f"SecureKafka(bootstrap={self.bootstrap!r}, home={str(self.home)!r}, pid={self.pid})"


def start_secure_kafka(
    home: Path,
    port: int,
    users: dict[str, str],
    *,
    timeout: float = 120,
    controller_port: int | None = None,
) -> SecureKafka:
    """Format fresh storage in ``home``, start the broker, return once ``admin`` can log in.

    The controller listens on ``controller_port``, by default ``port + 1`` as in kafka.py.
    """
    started = time.monotonic()
    controller_port = port + 1 if controller_port is None else controller_port
    if ADMIN in users:
        raise ValueError(f"{ADMIN!r} is the super user; choose another name")
    for name, password in users.items():
        _check_credentials(name, password)
    for busy in (port, controller_port):
        if port_in_use(busy):
            raise StackError(f"127.0.0.1:{busy} is already taken")
    libs, home = base.kafka_libs(), home.resolve()
    shutil.rmtree(home / "data", ignore_errors=True)
    home.mkdir(parents=True, exist_ok=True)
    ca_file = _make_certificates(home / "tls")
    admin = (ADMIN, secrets.token_urlsafe(18))
    (home / "log4j2.yaml").write_text(base.LOG4J2)
    config = home / "server.properties"
    _write_private(config, _properties(home, port, controller_port, admin))
    jaas = f'{SCRAM_MODULE} required username="{admin[0]}" password="{admin[1]}";'
    client = {  # ConfigCommand's --command-config
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": MECHANISMS[0],
        "sasl.jaas.config": jaas,
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(ca_file),
    }
    _write_private(home / "admin.properties", client)
    credentials = {**users, ADMIN: admin[1]}
    command = [*_java(libs, home), "kafka.tools.StorageTool", "format", "--config", str(config)]
    command += ["--cluster-id", base.new_cluster_id()]
    for name, password in credentials.items():
        for mechanism in MECHANISMS:
            command += ["--add-scram", f"{mechanism}=[name={name},password={password}]"]
    _run_secret(command, "kafka storage format (secure)", hide=list(credentials.values()))
    with (home / "broker.log").open("wb") as log:  # fresh data, fresh log
        broker = subprocess.Popen(
            [*_java(libs, home), "kafka.Kafka", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=home,
            start_new_session=True,  # own process group: Ctrl-C in pytest does not hit it
        )
    (home / "broker.pid").write_text(f"{broker.pid}\n")
    kafka = SecureKafka(home, port, controller_port, ca_file, admin, broker.pid)
    try:
        _wait_for_login(kafka, *admin, started + timeout, MECHANISMS)
    except BaseException:
        stop_secure_kafka(kafka)
        raise
    say(f"secure kafka ready on {kafka.bootstrap} ({time.monotonic() - started:.1f}s)")
    return kafka


def add_scram_user(
    kafka: SecureKafka, name: str, password: str, *, mechanisms: tuple[str, ...] = MECHANISMS[:1]
) -> None:
    """Create (or reset) the user's SCRAM credentials; return once the user can log in.

    SCRAM-SHA-512 only by default: the broker refuses two mechanisms of one user in one
    request ("A user credential cannot be altered twice"), so each costs a ConfigCommand
    run (a JVM, about 1.5 s).
    """
    _check_credentials(name, password)
    started = time.monotonic()
    command = [*_java(base.kafka_libs(), kafka.home, _tools_jar()), CONFIG_COMMAND]
    command += ["--bootstrap-server", kafka.bootstrap, "--alter", "--entity-type", "users"]
    command += ["--command-config", str(kafka.home / "admin.properties"), "--entity-name", name]
    for mechanism in mechanisms:
        # The password is in argv for about a second: --add-config-file would avoid that,
        # but ConfigCommand 4.4 reads its keys as SCRAM_SHA_512 and rejects them.
        addition = ["--add-config", f"{mechanism}=[password={password}]"]
        what = f"ConfigCommand: add {mechanism} user {name}"
        _run_secret([*command, *addition], what, hide=[password, kafka.admin[1]])
    _wait_for_login(kafka, name, password, time.monotonic() + 30, mechanisms)
    say(f"secure kafka: SCRAM user {name} added ({time.monotonic() - started:.1f}s)")


def stop_secure_kafka(kafka: SecureKafka) -> None:
    """SIGTERM (controlled shutdown, under a second), SIGKILL after 20 s; reap our child."""
    stop_process(kafka.pid, "secure kafka", timeout=20)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(kafka.pid, os.WNOHANG)
    (kafka.home / "broker.pid").unlink(missing_ok=True)


# --- SCRAM login over TLS, standard library only -------------------------------------------


def scram_login(kafka: SecureKafka, user: str, password: str, mechanism: str | None = None) -> None:
    """One SCRAM login (RFC 5802) over TLS verified against the CA.

    ``mechanism`` defaults to ``kafka.mechanism``. Raises ``PermissionError`` when the
    broker refuses, other ``OSError`` when it cannot be reached (yet).
    """
    mechanism = mechanism or kafka.mechanism
    digest = mechanism.removeprefix("SCRAM-").replace("-", "").lower()  # sha512, sha256
    context = ssl.create_default_context(cafile=str(kafka.ca_file))
    with (
        socket.create_connection(("127.0.0.1", kafka.port), timeout=3) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as sock,
    ):
        name = mechanism.encode()
        body = _call(sock, 17, struct.pack(">h", len(name)) + name)  # SaslHandshake v1
        if error := struct.unpack(">h", body[:2])[0]:
            raise PermissionError(f"SaslHandshake error code {error}")
        nonce = secrets.token_urlsafe(18)
        first_bare = f"n={user},r={nonce}"
        server_first = _authenticate(sock, f"n,,{first_bare}".encode()).decode()
        fields = dict(item.split("=", 1) for item in server_first.split(","))
        if not fields["r"].startswith(nonce):
            raise PermissionError("the server's nonce does not extend ours")
        salt, iterations = base64.b64decode(fields["s"]), int(fields["i"])
        salted = hashlib.pbkdf2_hmac(digest, password.encode(), salt, iterations)
        client_key = hmac.digest(salted, b"Client Key", digest)
        final_bare = f"c={_b64(b'n,,')},r={fields['r']}"
        message = f"{first_bare},{server_first},{final_bare}".encode()
        signature = hmac.digest(hashlib.new(digest, client_key).digest(), message, digest)
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        server_final = _authenticate(sock, f"{final_bare},p={_b64(proof)}".encode()).decode()
        server_key = hmac.digest(salted, b"Server Key", digest)
        if server_final != f"v={_b64(hmac.digest(server_key, message, digest))}":
            raise PermissionError("wrong server signature")


def _call(sock: ssl.SSLSocket, api_key: int, body: bytes) -> bytes:
    """One v1 request (request header v1, no tagged fields); the response body."""
    client = b"timpora-secure-probe"
    header = struct.pack(">hhih", api_key, 1, api_key, len(client)) + client
    sock.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
    (size,) = struct.unpack(">i", base._recv_exact(sock, 4))
    response = base._recv_exact(sock, size)
    if struct.unpack(">i", response[:4])[0] != api_key:  # the correlation id
        raise ConnectionError("a response to another request")
    return response[4:]


def _authenticate(sock: ssl.SSLSocket, token: bytes) -> bytes:
    body = _call(sock, 36, struct.pack(">i", len(token)) + token)  # SaslAuthenticate v1
    error, text_size = struct.unpack(">hh", body[:4])
    start = 4 + max(text_size, 0)
    if error:
        text = body[4:start].decode(errors="replace")
        raise PermissionError(f"SaslAuthenticate error code {error}: {text}")
    (size,) = struct.unpack(">i", body[start : start + 4])
    return body[start + 4 : start + 4 + size]


def _wait_for_login(
    kafka: SecureKafka, user: str, password: str, deadline: float, mechanisms: tuple[str, ...]
) -> None:
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            for mechanism in mechanisms:
                scram_login(kafka, user, password, mechanism)
            return
        except (OSError, ValueError, KeyError, struct.error) as error:
            last = error
        if not alive(kafka.pid):
            raise StackError(f"secure kafka exited; its log:\n{_log_excerpt(kafka)}")
        time.sleep(0.2)
    raise StackError(
        f"{user} could not log in to secure kafka on {kafka.bootstrap} ({last!r}); "
        f"its log:\n{_log_excerpt(kafka)}"
    )


# --- configuration, certificates, commands -------------------------------------------------


def _properties(home: Path, port: int, cport: int, admin: tuple[str, str]) -> dict[str, str]:
    normal = base.kafka_properties(port).splitlines()  # its topic and log settings
    settings = dict(line.split("=", 1) for line in normal if not line.startswith("#"))
    secret = secrets.token_urlsafe(18)
    plain = f'username="controller" password="{secret}" user_controller="{secret}"'
    scram = f'username="{admin[0]}" password="{admin[1]}"'
    return settings | {
        "controller.quorum.voters": f"1@127.0.0.1:{cport}",
        "listeners": f"SECURE://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
        "advertised.listeners": f"SECURE://127.0.0.1:{port}",
        "listener.security.protocol.map": "SECURE:SASL_SSL,CONTROLLER:SASL_PLAINTEXT",
        "inter.broker.listener.name": "SECURE",
        "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.secure.sasl.enabled.mechanisms": ",".join(MECHANISMS),
        "listener.name.secure.scram-sha-512.sasl.jaas.config": f"{SCRAM_MODULE} required {scram};",
        "listener.name.secure.scram-sha-256.sasl.jaas.config": f"{SCRAM_MODULE} required;",
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": f"{PLAIN_MODULE} required {plain};",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(home / "tls" / "server-keystore.pem"),
        "ssl.truststore.type": "PEM",  # the broker connects to itself over SASL_SSL
        "ssl.truststore.location": str(home / "tls" / "ca.pem"),
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found": "false",
        "super.users": f"User:{admin[0]};User:controller",
        "log.dirs": str(home / "data"),
    }


def _make_certificates(tls: Path) -> Path:
    """A fresh CA and a server certificate signed by it; the CA's PEM file."""
    if not shutil.which("openssl"):
        apt_install("openssl")
    shutil.rmtree(tls, ignore_errors=True)
    tls.mkdir(mode=0o700)
    extensions = "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
    (tls / "server.ext").write_text(extensions)
    key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc"
    for step in (
        f"req -x509 {key} -keyout ca.key -out ca.pem -days 7 -subj /CN=timpora-test-ca"
        " -addext keyUsage=critical,keyCertSign,cRLSign",
        f"req -new {key} -keyout server.key -out server.csr -subj /CN=localhost",
        "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -days 7 -extfile server.ext"
        f" -set_serial {secrets.randbits(63)} -out server.pem",
    ):
        run(["openssl", *step.split()], what=f"openssl {step.split()[0]}", cwd=tls)
    parts = ("server.key", "server.pem", "ca.pem")  # the key, then the chain
    _write_private(tls / "server-keystore.pem", "".join((tls / p).read_text() for p in parts))
    return tls / "ca.pem"


def _java(libs: Path, home: Path, *extra_jars: Path) -> list[str]:
    """kafka.py's java command, but 512 MiB, C1 only, this home's log4j2.yaml, more jars."""
    command = [a for a in base.java_command(libs) if not a.startswith(("-Xm", "-Dlog4j2"))]
    command[command.index("-cp") + 1] += "".join(f":{jar}" for jar in extra_jars)
    log4j = f"-Dlog4j2.configurationFile={home / 'log4j2.yaml'}"
    return [command[0], "-Xmx512m", "-XX:TieredStopAtLevel=1", log4j, *command[1:]]


def _tools_jar() -> Path:
    """``org.apache.kafka:kafka-tools`` alone; its dependencies are all in kafka_libs()."""
    home = CACHE / f"kafka-tools-{base.KAFKA_VERSION}"
    jar = home / f"kafka-tools-{base.KAFKA_VERSION}.jar"
    if not jar.is_file():
        say(f"downloading kafka-tools {base.KAFKA_VERSION} from Maven Central (first run)...")
        plugin = f"org.apache.maven.plugins:maven-dependency-plugin:{base.DEPENDENCY_PLUGIN}:copy"
        artifact = f"-Dartifact=org.apache.kafka:kafka-tools:{base.KAFKA_VERSION}"
        base.ensure_java(need_maven=True)
        partial = home / "partial"  # moved into place only once mvn succeeded
        run(["mvn", "-q", "-B", plugin, artifact, f"-DoutputDirectory={partial}"], what="mvn")
        (partial / jar.name).replace(jar)
    return jar


def _run_secret(args: list[str], what: str, *, hide: list[str]) -> None:
    """``run``, but passwords in the failure message (tools echo their argv) become ***."""
    try:
        run(args, what=what)
    except StackError as error:
        text = str(error)
        for secret in hide:
            text = text.replace(secret, "***")
        raise StackError(text) from None


def _check_credentials(name: str, password: str) -> None:
    if not (SAFE_NAME.fullmatch(name) and SAFE_PASSWORD.fullmatch(password)):
        raise ValueError(
            f"SCRAM user {name!r}: the name must match {SAFE_NAME.pattern}, "
            f"the password {SAFE_PASSWORD.pattern}"
        )


def _write_private(path: Path, content: str | dict[str, str]) -> None:
    if isinstance(content, dict):
        content = "".join(f"{key}={value}\n" for key, value in content.items())
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(content)


def _log_excerpt(kafka: SecureKafka) -> str:
    """The first ERROR and its causes (~100 lines of shutdown follow), then the log's end."""
    log = kafka.home / "broker.log"
    with contextlib.suppress(OSError):
        lines = log.read_text(errors="replace").splitlines()
        first = next((i for i, line in enumerate(lines) if " ERROR " in line), None)
        if first is not None:
            causes = [line for line in lines[first:] if line.startswith("Caused by:")]
            return "\n".join([*lines[first : first + 2], *causes[:5], "...", tail_file(log, 15)])
    return tail_file(log, 30)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
