"""A bare ASGI app behind gatehouse: it trusts the Remote-User header of the WebSocket
handshake, as Django Channels' scope["headers"] offers it, and does no authentication itself.

Run it with Debian's daphne:  python3 -m daphne -b 127.0.0.1 -p 8001 app:application
"""
import json


def handshake_headers(scope):
    """The handshake's headers: ASGI gives them as lowercase byte pairs."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            pass
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["type"] != "websocket":
        return
    headers = handshake_headers(scope)
    user = headers.get("remote-user")
    await receive()  # websocket.connect
    if user is None:
        # Refused before accepting: daphne answers the handshake 403.
        await send({"type": "websocket.close", "code": 1008})
        return
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": json.dumps({
        "user": user,
        "path": scope["path"],
        "query": scope["query_string"].decode("latin-1"),
        "saw_authorization": "authorization" in headers,
    })})
    while True:
        event = await receive()
        if event["type"] == "websocket.disconnect":
            return
        if event.get("text") is not None:
            await send({"type": "websocket.send", "text": f"{user}: {event['text']}"})
