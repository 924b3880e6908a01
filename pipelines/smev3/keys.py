"""The key check behind ``sverka smev3 keys check``: local round trip, then (optionally) СМЭВ.

The remote check sends a signed ``Ack`` for a message id nobody sent: СМЭВ checks
the ЭП-ОВ before it looks for the message, so ``TargetMessageIsNotFound`` means
the signature was accepted and nothing else happened, while
``SignatureVerificationFault`` names why it was not.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from lxml import etree

from connectors.smev3 import gost
from connectors.smev3.client import SmevClient, SmevSettings, new_message_id
from connectors.smev3.errors import SmevError, SmevFaultError
from connectors.smev3.signing import GostSigner
from pipelines.settings import read_secret
from pipelines.smev3.common import KEY_PASSWORD_ENV


@dataclass
class KeyReport:
    ok: bool = True
    lines: list[str] = field(default_factory=list)


def _local(moment: dt.datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d.%m.%Y %H:%M")


async def _remote_accepts(url: str, signer: GostSigner) -> str | None:
    """``None`` when СМЭВ accepted the signature, else its reason (Russian)."""
    async with SmevClient(SmevSettings(url), signer=signer) as client:
        try:
            await client.ack(new_message_id())
        except SmevFaultError as exc:
            if exc.name == "TargetMessageIsNotFound":
                return None
            return exc.message
    return None


def check_key(path: str, secrets_file: str | None, url: str | None, timezone: str) -> KeyReport:
    if not path:
        raise SmevError("не указан файл ключа ЭП-ОВ: --key или SVERKA_SMEV3_KEY")
    key = gost.load_key(path, read_secret(KEY_PASSWORD_ENV, secrets_file))
    certificate = key.certificate
    report = KeyReport()
    now = dt.datetime.now(dt.UTC)
    report.lines += [
        f"Владелец сертификата: {certificate.subject}",
        f"Действует: с {_local(certificate.not_before, timezone)} "
        f"по {_local(certificate.not_after, timezone)}",
        f"Алгоритм: ГОСТ Р 34.10-2012 (256 бит), параметры {certificate.curve}",
    ]
    if not certificate.valid_at(now):
        report.ok = False
        report.lines.append("[red]Срок действия сертификата истёк или ещё не начался.[/red]")
    sample = etree.Element("{urn://sverka/key-check}Sample", Id="SIGNED_BY_CALLER")
    sample.text = "проверка подписи"
    fault = gost.signature_fault(gost.sign_element(sample, key), sample, certificate, now)
    if fault is None:
        report.lines.append("Проверочная подпись создана и проверена: да.")
    else:
        report.ok = False
        report.lines.append(f"[red]Проверочная подпись не проверяется ({fault}).[/red]")
    if url:
        refused = asyncio.run(_remote_accepts(url, GostSigner(key)))
        if refused is None:
            report.lines.append(f"СМЭВ ({url}) принял подпись.")
        else:
            report.ok = False
            report.lines.append(f"[red]СМЭВ ({url}) не принял подпись: {refused}[/red]")
    return report
