"""The emulator's two faces over HTTP: the СМЭВ SOAP endpoint and a JSON control API.

The control API lets tests and demos inject faults, move the clock, make
ЕПГУ and «Е-услуги» send their applications and read what the registry and
ЕПГУ received.  Everything runs in one event loop, so the broker needs no lock.

``POST /smev``                      the SOAP 1.1 endpoint (header ``X-Smev-Mnemonic``
                                    names the sender; default: the school)
``POST /control/faults``            ``{"fault", "operation"="*", "count"=1, "extra"=[]}``
``DELETE /control/faults``          clear faults, hostile answers and lost replies
``POST /control/hostile``           ``{"operation", "kind": dtd|external_entity|billion_laughs}``
``POST /control/lose-reply``        ``{"operation", "count"}``: process, then answer 502
``POST /control/config``            ``{"signature", "validation", "redeliver_after_seconds"}``
``POST /control/clock``             ``{"as_of"}``: the scenario moment the bots send from
``POST /control/parties/epgu/send`` ЕПГУ sends the applications due; ``…/e-uslugi/send`` too
``GET /control/state|registry|epgu|e-uslugi``  queues; receipts per RecordId; answers
``POST /adapter/ws``                «Адаптер СМЭВ» (``emulators.smev3.adapter``), relaying to
                                    this СМЭВ as the school's system
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.scenario.world import World
from emulators.smev3.adapter import ADAPTER, AdapterFault, AdapterRelay
from emulators.smev3.broker import Broker, BrokerConfig
from emulators.smev3.faults import SoapFault
from emulators.smev3.hostile import HOSTILE
from emulators.smev3.ns import SOAP_ENV, q
from emulators.smev3.parties import EpguBot, EUslugiBot, RegistryBot
from emulators.smev3.xmlsafe import (
    MAX_BYTES,
    HostileXmlError,
    MalformedXmlError,
    OversizedXmlError,
    parse_untrusted,
)

OPERATIONS = {
    "SendRequestRequest": "SendRequest",
    "SendResponseRequest": "SendResponse",
    "GetRequestRequest": "GetRequest",
    "GetResponseRequest": "GetResponse",
    "GetStatusRequest": "GetStatus",
    "AckRequest": "Ack",
}
SOAP_CONTENT = "text/xml; charset=utf-8"
MNEMONIC_HEADER = "x-smev-mnemonic"
"""[design] Stand-in for the sender identity the real СМЭВ takes from the certificate."""


@dataclass
class Emulator:
    broker: Broker
    registry: RegistryBot
    epgu: EpguBot
    e_uslugi: EUslugiBot
    as_of: dt.datetime


def build(
    world: World,
    *,
    as_of: dt.datetime,
    org_code: str,
    config: BrokerConfig | None = None,
    oktmo: str = "01701000",
) -> Emulator:
    broker = Broker(config)
    registry = RegistryBot(world, as_of, org_code)
    epgu = EpguBot(world, org_code, oktmo)
    e_uslugi = EUslugiBot(world, org_code)
    for party in (registry, epgu, e_uslugi):
        broker.add_party(party)
    emulator = Emulator(broker, registry, epgu, e_uslugi, as_of)
    # the registry's view follows the scenario's clock (POST /control/clock, the demo's moments)
    registry.scenario_clock = lambda: emulator.as_of
    return emulator


def _envelope(content: etree._Element) -> bytes:
    envelope = etree.Element(q(SOAP_ENV, "Envelope"), nsmap={"soap": SOAP_ENV})
    etree.SubElement(envelope, q(SOAP_ENV, "Body")).append(content)
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


READ_SECONDS = 30
"""A sender that trickles its envelope slower than this is cut off (slow-body attacks)."""


async def _bounded_body(request: Request) -> bytes:
    """The request body, refused as soon as it is known to exceed ``MAX_BYTES``."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BYTES:
        raise OversizedXmlError(
            f"сообщение больше допустимого: {int(declared) / 1048576:.1f} МБ при пределе "
            f"{MAX_BYTES / 1048576:.0f} МБ"
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            raise OversizedXmlError(
                f"сообщение больше допустимого: больше {MAX_BYTES / 1048576:.0f} МБ"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(emulator: Emulator) -> Starlette:
    broker = emulator.broker

    def fault(exc: SoapFault) -> Response:
        return Response(exc.render(broker.ns), status_code=500, media_type=SOAP_CONTENT)

    async def soap(request: Request) -> Response:
        try:
            body = await asyncio.wait_for(_bounded_body(request), timeout=READ_SECONDS)
        except OversizedXmlError as exc:
            return fault(SoapFault("InvalidContent", f"конверт отклонён: {exc}"))
        except TimeoutError:
            return fault(
                SoapFault("InvalidContent", f"конверт не получен целиком за {READ_SECONDS} с")
            )
        try:
            root = parse_untrusted(body)
        except (HostileXmlError, OversizedXmlError) as exc:
            return fault(SoapFault("InvalidContent", f"конверт отклонён: {exc}"))
        except MalformedXmlError as exc:
            return fault(SoapFault("InvalidContent", str(exc)))
        payload = root.find(q(SOAP_ENV, "Body"))
        children = [c for c in payload if isinstance(c.tag, str)] if payload is not None else []
        if root.tag != q(SOAP_ENV, "Envelope") or len(children) != 1:
            return fault(
                SoapFault("InvalidContent", "нет конверта SOAP 1.1 с одним элементом в Body")
            )
        element = children[0]
        qname = etree.QName(element)
        operation = OPERATIONS.get(qname.localname)
        if operation is None or qname.namespace != broker.ns.types:
            return fault(SoapFault("InvalidContent", f"неизвестная операция {qname.localname}"))
        caller = request.headers.get(MNEMONIC_HEADER) or broker.config.school
        hostile = broker.hostile.get(operation)
        if hostile:
            return Response(HOSTILE[hostile], status_code=200, media_type=SOAP_CONTENT)
        try:
            result = broker.handle(operation, element, caller)
        except SoapFault as exc:
            return fault(exc)
        except Exception as exc:  # an emulator bug must still look like СМЭВ trouble
            return fault(SoapFault("SMEVFailure", type(exc).__name__))
        if broker.lose_reply.get(operation, 0) > 0:
            broker.lose_reply[operation] -= 1
            return Response(b"", status_code=502)
        return Response(_envelope(result), media_type=SOAP_CONTENT)

    relay = AdapterRelay(broker, clock=lambda: emulator.as_of)

    def adapter_fault(exc: AdapterFault) -> Response:
        return Response(exc.render(), status_code=500, media_type=SOAP_CONTENT)

    async def adapter(request: Request) -> Response:
        try:
            body = await asyncio.wait_for(_bounded_body(request), timeout=READ_SECONDS)
            root = parse_untrusted(body)
        except (OversizedXmlError, HostileXmlError, MalformedXmlError, TimeoutError) as exc:
            return adapter_fault(AdapterFault("ValidationFault", "InvalidContent", str(exc)))
        payload = root.find(q(SOAP_ENV, "Body"))
        children = [c for c in payload if isinstance(c.tag, str)] if payload is not None else []
        if len(children) != 1 or etree.QName(children[0]).namespace != ADAPTER:
            return adapter_fault(
                AdapterFault("ValidationFault", "InvalidContent", "нет сообщения адаптера в Body")
            )
        try:
            result = relay.handle(children[0])
        except AdapterFault as exc:
            return adapter_fault(exc)
        return Response(_envelope(result), media_type=SOAP_CONTENT)

    async def add_fault(request: Request) -> JSONResponse:
        data = await request.json()
        extra = [tuple(pair) for pair in data.get("extra", [])]
        broker.inject(data["fault"], data.get("operation", "*"), int(data.get("count", 1)), extra)
        return JSONResponse({"ok": True})

    async def clear_faults(request: Request) -> JSONResponse:
        broker.clear_injections()
        return JSONResponse({"ok": True})

    async def hostile(request: Request) -> JSONResponse:
        data = await request.json()
        if data.get("kind"):
            broker.hostile[data["operation"]] = data["kind"]
        else:
            broker.hostile.pop(data["operation"], None)
        return JSONResponse({"ok": True})

    async def lose_reply(request: Request) -> JSONResponse:
        data = await request.json()
        broker.lose_reply[data["operation"]] = int(data.get("count", 1))
        return JSONResponse({"ok": True})

    async def configure(request: Request) -> JSONResponse:
        data = await request.json()
        if "signature" in data:
            broker.config.signature = data["signature"]
        if "validation" in data:
            broker.config.validation = data["validation"]
        if "redeliver_after_seconds" in data:
            broker.config.redeliver_after = dt.timedelta(
                seconds=float(data["redeliver_after_seconds"])
            )
        return JSONResponse({"ok": True})

    async def clock(request: Request) -> JSONResponse:
        data = await request.json()
        emulator.as_of = dt.datetime.fromisoformat(data["as_of"])
        return JSONResponse({"as_of": emulator.as_of.isoformat()})

    async def send_epgu(request: Request) -> JSONResponse:
        return JSONResponse({"sent": emulator.epgu.send_due(broker, emulator.as_of)})

    async def send_e_uslugi(request: Request) -> JSONResponse:
        return JSONResponse({"sent": emulator.e_uslugi.send_due(broker, emulator.as_of)})

    async def state(request: Request) -> JSONResponse:
        queues: dict[str, list[dict[str, Any]]] = {
            name: [
                {
                    "message_id": m.message_id,
                    "kind": m.kind,
                    "root": m.root[1] if m.root else None,
                    "deliveries": m.deliveries,
                    "acked": m.acked,
                    "accepted": m.accepted,
                }
                for m in messages
            ]
            for name, messages in broker.queues.items()
        }
        return JSONResponse(
            {"queues": queues, "seen": len(broker.seen_ids), "as_of": emulator.as_of.isoformat()}
        )

    async def registry(request: Request) -> JSONResponse:
        bot = emulator.registry
        return JSONResponse(
            {"receipts": dict(bot.receipts), "applied": bot.applied, "tests_seen": bot.tests_seen}
        )

    async def epgu(request: Request) -> JSONResponse:
        return JSONResponse({"answers": emulator.epgu.answers})

    async def e_uslugi(request: Request) -> JSONResponse:
        return JSONResponse({"receipts": emulator.e_uslugi.receipts})

    routes = [
        Route("/smev", soap, methods=["POST"]),
        Route("/adapter/ws", adapter, methods=["POST"]),
        Route("/control/faults", add_fault, methods=["POST"]),
        Route("/control/faults", clear_faults, methods=["DELETE"]),
        Route("/control/hostile", hostile, methods=["POST"]),
        Route("/control/lose-reply", lose_reply, methods=["POST"]),
        Route("/control/config", configure, methods=["POST"]),
        Route("/control/clock", clock, methods=["POST"]),
        Route("/control/parties/epgu/send", send_epgu, methods=["POST"]),
        Route("/control/parties/e-uslugi/send", send_e_uslugi, methods=["POST"]),
        Route("/control/state", state),
        Route("/control/registry", registry),
        Route("/control/epgu", epgu),
        Route("/control/e-uslugi", e_uslugi),
    ]
    return Starlette(routes=routes)


def serve(app: Starlette, host: str = "127.0.0.1", port: int = 8093) -> None:
    """Serve until interrupted (the CLI's foreground mode)."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("эмулятор слушает только локальный адрес")
    uvicorn.run(app, host=host, port=port, log_level="warning")


@contextmanager
def running(app: Starlette) -> Iterator[str]:
    """Serve on a free loopback port in a thread; yields the base URL (for tests)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
