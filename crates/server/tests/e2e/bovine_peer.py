"""An independent ActivityPub server for Rookery's federation tests (crates/server/tests/it/
bovine.rs): bovine-herd (PyPI `bovine-herd`, a Python server on Quart) on loopback over
HTTPS, with one actor, `bea`, made with bovine's own tool. A plain-HTTP control API on a
second loopback port lets the test drive `bea` through bovine's client (its outbox, signed
with Moo-Auth-1) and read what arrived in its inbox. When both listen, one JSON line
{"ready": true, "port": ..., "control": ..., "actor": ...} goes to stdout.

Environment: PEER_DIR (a working directory), PEER_CERT and PEER_KEY (the HTTPS certificate
and key for 127.0.0.1), SSL_CERT_FILE (the CAs to trust: Rookery's and the peer's own).
Installed by scripts/setup-e2e into ~/.cache/rookery-e2e/bovine-venv.
"""

import asyncio
import json
import os
import socket
import ssl
import subprocess
import sys

import aiohttp
from aiohttp import web
from bovine import BovineClient
from bovine_herd import BovineHerd
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tool(*args: str) -> str:
    """Runs one of bovine_tool's commands; its output."""
    done = subprocess.run(
        [sys.executable, "-m", *args],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ,
        cwd=os.environ["PEER_DIR"],
    )
    if done.returncode != 0:
        raise RuntimeError(f"{args}: {done.stdout}\n{done.stderr}")
    return done.stdout


def after(output: str, prefix: str) -> str:
    for line in output.splitlines():
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    raise RuntimeError(f"no {prefix!r} in {output!r}")


async def main() -> None:
    work = os.environ["PEER_DIR"]
    db = f"sqlite://{work}/bovine.sqlite3"
    os.environ["BOVINE_DB_URL"] = db
    port = free_port()
    origin = f"https://127.0.0.1:{port}"

    app = Quart(__name__)
    BovineHerd(app, db_url=db)
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.certfile = os.environ["PEER_CERT"]
    config.keyfile = os.environ["PEER_KEY"]
    config.accesslog = None
    stop = asyncio.Event()
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))

    # The database tables are made as the server starts: wait for it to answer.
    trust = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            try:
                async with http.get(f"{origin}/.well-known/nodeinfo", ssl=trust) as r:
                    if r.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)

    name = after(tool("bovine_tool.register", "bea", "--domain", origin), "Bovine name:")
    secret = after(tool("bovine_tool.manage", name, "--new_did_key"), "Your new secret:")

    async with BovineClient(domain=origin, secret=secret) as bea:
        activities, objects = bea.factories

        async def send(activity: dict) -> dict:
            r = await bea.send_to_outbox(activity)
            if r.status >= 300:
                raise RuntimeError(f"outbox: {r.status} {await r.text()}")
            return {"location": r.headers.get("location")}

        async def inbox_items() -> list:
            items = []
            async for item in bea.inbox():
                items.append(item)
            return items

        async def follow(body: dict) -> dict:
            return await send(activities.follow(body["uri"]).build())

        async def accept(body: dict) -> dict:
            # Bovine does not accept follows by itself: accept the newest Follow received.
            follows = [i for i in await inbox_items() if i.get("type") == "Follow"]
            if not follows:
                raise RuntimeError("no Follow in the inbox")
            follow = follows[0]
            actor = follow["actor"] if isinstance(follow["actor"], str) else follow["actor"]["id"]
            follow = {**follow, "actor": actor}
            if not isinstance(follow.get("object"), str):
                follow["object"] = follow["object"]["id"]
            return await send(activities.accept(follow).build())

        async def post(body: dict) -> dict:
            note = objects.note(content=body["content"]).as_public().build()
            sent = await send(activities.create(note).build())
            created = await bea.get(sent["location"])
            obj = created.get("object")
            return {"id": obj if isinstance(obj, str) else obj.get("id"), "activity": created}

        async def like(body: dict) -> dict:
            return await send(activities.like(body["object"], to={body["author"]}).build())

        async def inbox(_body: dict) -> list:
            return await inbox_items()

        handlers = {
            ("POST", "/control/follow"): follow,
            ("POST", "/control/accept"): accept,
            ("POST", "/control/post"): post,
            ("POST", "/control/like"): like,
            ("GET", "/control/inbox"): inbox,
        }

        async def control(request: web.Request) -> web.Response:
            handler = handlers.get((request.method, request.path))
            if handler is None:
                return web.json_response({}, status=404)
            try:
                body = await request.json() if request.can_read_body else {}
                return web.json_response(await handler(body))
            except Exception as e:  # noqa: BLE001 - reported to the test as it is
                return web.json_response({"error": repr(e)}, status=500)

        control_app = web.Application()
        control_app.router.add_route("*", "/{tail:.*}", control)
        runner = web.AppRunner(control_app)
        await runner.setup()
        control_port = free_port()
        await web.TCPSite(runner, "127.0.0.1", control_port).start()
        print(
            json.dumps(
                {"ready": True, "port": port, "control": control_port, "actor": bea.actor_id}
            ),
            flush=True,
        )
        # The test holds our stdin: when it goes away (even killed), so do we.
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)
        stop.set()
        await runner.cleanup()
    await server


asyncio.run(main())
