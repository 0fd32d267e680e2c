"""Downloads for the published sources: short timeouts, bounded retries (tenacity), a size cap
and errors that name the URL, in the style of `forecasting.providers.open_meteo`."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from forecasting.errors import ConfigError, InputError

logger = logging.getLogger(__name__)

# The largest answer read: the Home Office ODS is under 1 MB, KNMI's zip about 1.5 MB.
MAX_BYTES: Final = 64 << 20
USER_AGENT: Final = "channel-crossings-forecasting/0.1 (httpx)"


class SourceUnavailable(RuntimeError):
    """A source is down, missing (404), too slow or too large; the message names the URL.
    Nothing was written."""


@dataclass(frozen=True)
class Answer:
    """A whole answer: its status, headers (lower-case names) and decoded body."""

    url: str
    status_code: int
    headers: dict[str, str]
    content: bytes

    @property
    def is_success(self) -> bool:
        """A 2xx status."""
        return 200 <= self.status_code < 300


class _DeadlineExceeded(httpx.TimeoutException):
    """The whole answer did not arrive within the attempt's deadline."""


class _RetryableStatus(Exception):
    """A 5xx or 429 answer, raised inside the retry loop so tenacity retries it."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(f"HTTP {answer.status_code}")
        self.answer = answer


_RETRY_ON: Final = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    _RetryableStatus,
)


class Downloader:
    """GET with a total deadline of `timeout` seconds per attempt (connection and whole body),
    at most `retries` attempts (timeouts, network errors, 5xx and 429 are retried with
    exponential backoff from `backoff` seconds; other 4xx fail at once) and bodies refused
    past `max_bytes`. Failures raise SourceUnavailable naming the URL. `requests` counts the
    attempts made. A `client` passed in is used as is and not closed."""

    def __init__(
        self,
        timeout: float = 10.0,
        retries: int = 3,
        client: httpx.Client | None = None,
        *,
        backoff: float = 0.5,
        max_backoff: float = 4.0,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        if retries < 1:
            raise ConfigError(f"retries must be at least 1, got {retries}")
        if timeout <= 0:
            raise ConfigError(f"timeout must be positive, got {timeout}")
        self.timeout = httpx.Timeout(timeout)
        self.deadline = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_bytes = max_bytes
        self.requests = 0
        self._owns_client = client is None
        self._client = client or httpx.Client(
            timeout=self.timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT}
        )

    def json(self, url: str) -> Any:
        """The JSON body of a GET; InputError when the body is not JSON."""
        answer = self.get(url)
        try:
            return json.loads(answer.content)
        except ValueError as exc:
            raise InputError("answered with a body that is not JSON", path=url) from exc

    def get(self, url: str) -> Answer:
        """GET with bounded retries; a 2xx answer or SourceUnavailable."""

        def attempt() -> Answer:
            logger.debug("GET %s", url)
            self.requests += 1
            answer = self._bounded_get(url)
            if answer.status_code == 429 or answer.status_code >= 500:
                raise _RetryableStatus(answer)
            return answer

        retrying = Retrying(
            stop=stop_after_attempt(self.retries),
            wait=wait_exponential(multiplier=self.backoff, max=self.max_backoff),
            retry=retry_if_exception_type(_RETRY_ON),
            before_sleep=self._log_retry,
            reraise=True,
        )
        tries = f"after {self.retries} attempt{'s' if self.retries > 1 else ''}"
        try:
            answer = retrying(attempt)
        except _RetryableStatus as exc:
            raise SourceUnavailable(f"{url} failed {tries}: HTTP {exc.answer.status_code}") from exc
        except httpx.TimeoutException as exc:
            raise SourceUnavailable(
                f"{url} did not answer within {self.deadline:g}s {tries} ({exc})"
            ) from exc
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"{url} is unreachable {tries}: {exc!r}") from exc
        if answer.is_success:
            return answer
        raise SourceUnavailable(f"{url} answered HTTP {answer.status_code}; nothing was fetched")

    def close(self) -> None:
        """Close the httpx client if this object created it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Downloader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _bounded_get(self, url: str) -> Answer:
        """One GET whose connection and whole body take at most `deadline` seconds and whose
        body is at most `max_bytes`, read as a stream."""
        deadline = time.monotonic() + self.deadline
        with self._client.stream("GET", url, timeout=self.timeout) as streamed:
            announced = streamed.headers.get("content-length", "")
            if announced.isdigit() and int(announced) > self.max_bytes:
                raise SourceUnavailable(
                    f"{url} announced {int(announced)} bytes, over the {self.max_bytes} cap"
                )
            body = bytearray()
            for chunk in streamed.iter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise SourceUnavailable(f"{url} sent more than {self.max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise _DeadlineExceeded(f"whole answer not received within {self.deadline}s")
            if time.monotonic() > deadline:
                raise _DeadlineExceeded(f"whole answer not received within {self.deadline}s")
            headers = {k.lower(): v for k, v in streamed.headers.items()}
            return Answer(str(streamed.url), streamed.status_code, headers, bytes(body))

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        logger.warning(
            "download attempt %d/%d failed (%s); retrying in %.2fs",
            state.attempt_number,
            self.retries,
            exc,
            wait,
        )


__all__ = ["MAX_BYTES", "Answer", "Downloader", "SourceUnavailable"]
