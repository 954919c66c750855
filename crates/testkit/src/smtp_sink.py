# A real SMTP server (aiosmtpd) for the tests: accepts every message and writes it, parsed by
# Python's email package, as one JSON file per message into a directory. While a file named
# `refuse` exists in that directory, messages are refused with a temporary error (451).
# Usage: python3 smtp_sink.py PORT DIR
import asyncio
import json
import os
import sys
from email import message_from_bytes, policy

from aiosmtpd.smtp import SMTP

port = int(sys.argv[1])
out_dir = sys.argv[2]


class Handler:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        if os.path.exists(os.path.join(out_dir, "refuse")):
            return "451 4.3.0 Try again later"
        msg = message_from_bytes(envelope.content, policy=policy.default)
        text = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        Handler.count += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "subject": str(msg["subject"]),
            "headers": [[k, str(v)] for k, v in msg.items()],
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
        }
        name = f"{Handler.count:06d}.json"
        tmp = os.path.join(out_dir, "." + name)
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(out_dir, name))
        return "250 2.0.0 OK"


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Handler()), "127.0.0.1", port)
    async with server:
        await server.serve_forever()


asyncio.run(main())
