"""The upstream stub of a test session, in a module of its own: pytest loads ``tests/conftest.py``
as ``conftest`` and the test modules import it again as ``tests.conftest``, so a class there would
exist twice, each with its own stub; this module is imported once, under one name."""
from __future__ import annotations

from deploy.upstream_stub import UpstreamStubProcess


class UpstreamStub:
    """The upstream stub (``deploy.upstream_stub``) of this session: started at the first server's
    launch, pointed at by every server the tests start (``LAB_UPSTREAM_URL``), stopped at the end."""

    stub: UpstreamStubProcess | None = None

    @classmethod
    def shared_url(cls) -> str:
        if cls.stub is None or not cls.stub.alive():
            cls.stub = UpstreamStubProcess.start()
        return cls.stub.url

    @classmethod
    def stop(cls) -> None:
        if cls.stub is not None:
            cls.stub.stop()
            cls.stub = None
