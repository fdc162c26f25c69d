"""An aiohttp.web server for tracehop's client tests: an independent HTTP implementation.

Prints the port it listens on (127.0.0.1, chosen by the kernel), then serves until killed.
"""
import asyncio

from aiohttp import web


async def item(request):
    return web.json_response({"sku": request.match_info["sku"], "server": "aiohttp"})


async def headers(request):
    return web.json_response([[k, v] for k, v in request.headers.items()])


async def chunked(request):
    resp = web.StreamResponse()
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    for i in range(5):
        await resp.write(f"part{i};".encode())
    await resp.write_eof()
    return resp


async def compressed(request):
    resp = web.Response(text="a" * 3000 + "|end")
    resp.enable_compression(web.ContentCoding.gzip)
    return resp


async def redirect(request):
    raise web.HTTPFound("/items/after-redirect")


async def echo(request):
    body = await request.read()
    return web.json_response({"method": request.method, "body": body.decode(),
                              "content_type": request.headers.get("Content-Type", "")})


async def main():
    app = web.Application()
    app.router.add_get("/items/{sku}", item)
    app.router.add_get("/headers", headers)
    app.router.add_get("/chunked", chunked)
    app.router.add_get("/gzip", compressed)
    app.router.add_get("/redirect", redirect)
    app.router.add_route("*", "/echo", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
