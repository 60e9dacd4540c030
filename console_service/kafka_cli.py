"""``timpora topics`` and ``timpora kafka``: the topics of the system and who may use them.

Topics come from the registry (:mod:`shared.topics`) plus one raw topic per source of the
key file; ACLs from :func:`shared.kafka_acls.required_acls`. ``kafka acls`` prints them
(``--apply`` sends them to the brokers, as a super user: CreateAcls is idempotent, so a
second run changes nothing).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import CreateAclsRequest
from rich.console import Console

from shared import kafka_acls, topics
from shared.kafka_clients import client_options
from shared.settings import PROJECT_ROOT, Settings
from shared.sources import KeyRegistry

topics_app = typer.Typer(help="Kafka topics of the system.", no_args_is_help=True)
kafka_app = typer.Typer(
    help="Kafka access: the ACLs each service and source needs.", no_args_is_help=True
)
console = Console()

SourcesOpt = Annotated[
    Path,
    typer.Option(
        "--sources",
        envvar="CONSOLE_SOURCES_FILE",
        help="The sources' key file (ingest's INGEST_API_KEYS_FILE): one raw topic per source.",
    ),
]
DEFAULT_SOURCES = PROJECT_ROOT / "config" / "api_keys.yaml"

# Kafka's wire codes (org.apache.kafka.common.acl / resource)
RESOURCE = {"TOPIC": 2, "GROUP": 3}
PATTERN = {"LITERAL": 3, "PREFIXED": 4}
OPERATION = {
    "READ": 3, "WRITE": 4, "CREATE": 5, "DESCRIBE": 8, "DESCRIBE_CONFIGS": 10,
    "ALTER_CONFIGS": 11,
}  # fmt: skip
ALLOW = 3


def registry(path: Path) -> KeyRegistry:
    settings = Settings()
    try:
        return KeyRegistry.from_file(path, production=settings.environment == "production")
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/red] {path}: {exc}")
        raise typer.Exit(1) from exc


@topics_app.command("create")
def topics_create(sources: SourcesOpt = DEFAULT_SOURCES) -> None:
    """Create the topics that are missing (broker auto-creation is off).

    The registry's topics and a raw topic per source of the key file, with
    TIMPORA_TOPIC_PARTITIONS partitions and TIMPORA_TOPIC_REPLICATION replicas; the retention
    (TIMPORA_DEADLETTER_RETENTION_DAYS) and min.insync.replicas (TIMPORA_TOPIC_MIN_ISR) the
    settings decide are applied to existing ones too."""
    s = Settings()
    created = asyncio.run(
        topics.ensure_topics(
            client_options(s),
            prefix=s.topic_prefix,
            partitions=s.topic_partitions,
            retention=s.topic_retention(),
            sources=[k.source for k in registry(sources).sources],
            replication=s.topic_replication,
            min_isr=s.topic_min_isr,
        )
    )
    console.print(f"created: {', '.join(created) or 'none (all exist)'}")


def principals_of(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        service, sep, user = pair.partition("=")
        if not sep or service not in kafka_acls.SERVICES or not user:
            known = ", ".join(kafka_acls.SERVICES)
            raise typer.BadParameter(f"{pair!r}: expected SERVICE=USER, SERVICE one of {known}")
        out[service] = user
    return out


@kafka_app.command("acls")
def acls(
    sources: SourcesOpt = DEFAULT_SOURCES,
    principal: Annotated[
        list[str] | None,
        typer.Option(
            help="SERVICE=USER: the SCRAM user a service runs as (default timpora-<service>); "
            "repeat for each service that differs."
        ),
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Create them on the brokers (as a super user).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """The ACLs the deployment needs, one per line (--apply: create them).

    Each service may use its topics and consumer groups, each source with a
    kafka_principal its own reports.raw.<source> only. Run with the administrator's
    KAFKA_SASL_USERNAME/PASSWORD to --apply."""
    s = Settings()
    wanted = kafka_acls.required_acls(
        prefix=s.topic_prefix,
        sources={k.source: k.kafka_principal for k in registry(sources).sources},
        principals=principals_of(principal or []),
    )
    if as_json:
        sys.stdout.write(json.dumps([a.__dict__ for a in wanted], indent=2) + "\n")
    else:
        for acl in wanted:
            console.print(str(acl), markup=False, highlight=False)
    if apply:
        asyncio.run(create_acls(s, wanted))
        print(f"applied {len(wanted)} ACLs", file=sys.stderr)


async def create_acls(settings: Settings, wanted: list[kafka_acls.Acl]) -> None:
    admin = AIOKafkaAdminClient(**client_options(settings), client_id="timpora-admin")
    await admin.start()
    try:
        for acl in wanted:
            request = CreateAclsRequest(
                RESOURCE[acl.resource],
                acl.name,
                PATTERN[acl.pattern],
                acl.principal,
                "*",
                OPERATION[acl.operation],
                ALLOW,
            )
            response: Any = await admin._send_request(request)  # aiokafka has no ACL API
            for error_code, message in response.creation_responses:
                if error_code:
                    raise RuntimeError(f"{acl}: Kafka error {error_code}: {message}")
    finally:
        await admin.close()
