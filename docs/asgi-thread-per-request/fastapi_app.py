"""The reference: the same /sleep and /ping on FastAPI (no Django involved).

    uvicorn fastapi_app:app
"""
import asyncio

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.get("/sleep", response_class=PlainTextResponse)
async def sleep(ms: int = 0):
    await asyncio.sleep(ms / 1000)
    return "ok"


@app.get("/ping", response_class=PlainTextResponse)
async def ping():
    return "pong"
