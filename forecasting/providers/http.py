"""One bounded, retrying HTTP GET for every outside source (Open-Meteo, GOV.UK, KNMI).

Each attempt has a total deadline for the connection and the whole body (a provider dripping
bytes is cut off), its body is read as a stream and refused past a size cap, and at most
`retries` attempts are made: timeouts, network errors, 5xx and 429 are retried with
exponential backoff (tenacity); other answers are returned as they are. Callers turn the
exceptions into their own errors, which name the URL.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Self

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

log = logging.getLogger(__name__)


class DeadlineExceeded(httpx.TimeoutException):
    """The whole answer did not arrive within the attempt's total deadline."""


class RetryableStatus(Exception):
    """A 5xx or 429 answer; raised inside the retry loop so tenacity retries it, and out of
    it when the last attempt still got one."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


# Transport failures worth another attempt (timeouts, refused/reset connections, bad framing).
RETRY_ON: Final = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    RetryableStatus,
)


class OwnsClient:
    """`close()` and the context manager for a client class holding an httpx `_client`,
    closed only when it made it (`_owns_client`)."""

    _client: httpx.Client
    _owns_client: bool

    def close(self) -> None:
        """Close the httpx client if this object created it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@dataclass
class BoundedGet:
    """GET `url` with the bounds above. `too_large` is the exception raised (never retried)
    for a body over `max_bytes`; `label` names the source in the retry log; `requests` counts
    the attempts made."""

    client: httpx.Client
    deadline: float
    retries: int
    backoff: float
    max_backoff: float
    max_bytes: int
    too_large: type[Exception]
    label: str
    requests: int = 0

    @property
    def tries(self) -> str:
        """ "after N attempts", for messages."""
        return f"after {self.retries} attempt{'s' if self.retries > 1 else ''}"

    def __call__(self, url: str, params: dict[str, str] | None = None) -> httpx.Response:
        """The answer of the first attempt that is not retried. Raises RetryableStatus,
        httpx.TimeoutException or another httpx.HTTPError when the last attempt failed."""

        def attempt() -> httpx.Response:
            log.debug("GET %s %s", url, params or "")
            self.requests += 1
            response = self._once(url, params)
            if response.status_code == 429 or response.status_code >= 500:
                raise RetryableStatus(response)
            return response

        retrying = Retrying(
            stop=stop_after_attempt(self.retries),
            wait=wait_exponential(multiplier=self.backoff, max=self.max_backoff),
            retry=retry_if_exception_type(RETRY_ON),
            before_sleep=self._log_retry,
            reraise=True,
        )
        return retrying(attempt)

    def _once(self, url: str, params: dict[str, str] | None) -> httpx.Response:
        """One GET within the deadline and the size cap, its body read as a stream."""
        deadline = time.monotonic() + self.deadline
        timeout = httpx.Timeout(self.deadline)
        with self.client.stream("GET", url, params=params, timeout=timeout) as streamed:
            announced = streamed.headers.get("content-length", "")
            if announced.isdigit() and int(announced) > self.max_bytes:
                raise self.too_large(
                    f"{url} announced {int(announced)} bytes, over the {self.max_bytes} cap"
                )
            body = bytearray()
            for chunk in streamed.iter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise self.too_large(f"{url} sent more than {self.max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise DeadlineExceeded(f"whole answer not received within {self.deadline}s")
            if time.monotonic() > deadline:
                raise DeadlineExceeded(f"whole answer not received within {self.deadline}s")
        return httpx.Response(
            streamed.status_code,
            headers=streamed.headers,
            content=bytes(body),
            request=streamed.request,
        )

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s attempt %d/%d failed (%s); retrying in %.2fs",
            self.label,
            state.attempt_number,
            self.retries,
            exc,
            wait,
        )


__all__ = ["RETRY_ON", "BoundedGet", "DeadlineExceeded", "OwnsClient", "RetryableStatus"]
