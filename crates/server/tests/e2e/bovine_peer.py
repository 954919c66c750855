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


def listening_socket() -> socket.socket:
    """A socket listening on an ephemeral loopback port (handed to the server: no race)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(128)
    s.set_inheritable(True)
    return s


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
    listener = listening_socket()
    port = listener.getsockname()[1]
    origin = f"https://127.0.0.1:{port}"

    app = Quart(__name__)
    BovineHerd(app, db_url=db)
    config = Config()
    config.bind = [f"fd://{listener.fileno()}"]
    config.certfile = os.environ["PEER_CERT"]
    config.keyfile = os.environ["PEER_KEY"]
    config.accesslog = None
    stop = asyncio.Event()
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))

    # The database tables are made as the server starts: wait for bovine's own application
    # actor to answer.
    trust = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    started = False
    async with aiohttp.ClientSession() as http:
        for _ in range(400):
            if server.done():
                server.result()  # the server's own error
                raise RuntimeError("the server stopped")
            try:
                async with http.get(f"{origin}/activitypub/bovine", ssl=trust) as r:
                    if r.status == 200 and "bovine" in await r.text():
                        started = True
                        break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    if not started:
        raise RuntimeError(f"bovine-herd never answered at {origin}")

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

        def id_of(value) -> str:
            return value if isinstance(value, str) else value.get("id", "")

        async def accept(body: dict) -> dict:
            # Bovine does not accept follows by itself: accept the newest Follow from `actor`.
            follows = [
                i
                for i in await inbox_items()
                if i.get("type") == "Follow" and id_of(i.get("actor")) == body["actor"]
            ]
            if not follows:
                raise RuntimeError(f"no Follow from {body['actor']} in the inbox")
            follow = follows[0]
            actor = id_of(follow["actor"])
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
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        control_port = runner.addresses[0][1]
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
