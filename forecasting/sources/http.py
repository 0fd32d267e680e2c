"""Downloads for the published sources: short timeouts, bounded retries, a size cap and
errors that name the URL (the GET itself is `forecasting.providers.http.BoundedGet`, shared
with the Open-Meteo client)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Final

import httpx

from forecasting.errors import ConfigError, InputError
from forecasting.providers.http import BoundedGet, OwnsClient, RetryableStatus

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


class Downloader(OwnsClient):
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
        self.max_bytes = max_bytes
        self._owns_client = client is None
        self._client = client or httpx.Client(
            timeout=self.timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT}
        )
        self._get = BoundedGet(
            self._client,
            timeout,
            retries,
            backoff,
            max_backoff,
            max_bytes,
            too_large=SourceUnavailable,
            label="download",
        )

    @property
    def requests(self) -> int:
        """The attempts made so far."""
        return self._get.requests

    def json(self, url: str) -> Any:
        """The JSON body of a GET; InputError when the body is not JSON."""
        answer = self.get(url)
        try:
            return json.loads(answer.content)
        except ValueError as exc:
            raise InputError("answered with a body that is not JSON", path=url) from exc

    def get(self, url: str) -> Answer:
        """GET with bounded retries; a 2xx answer or SourceUnavailable."""

        tries = self._get.tries
        try:
            response = self._get(url)
        except RetryableStatus as exc:
            code = exc.response.status_code
            raise SourceUnavailable(f"{url} failed {tries}: HTTP {code}") from exc
        except httpx.TimeoutException as exc:
            raise SourceUnavailable(
                f"{url} did not answer within {self.deadline:g}s {tries} ({exc})"
            ) from exc
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"{url} is unreachable {tries}: {exc!r}") from exc
        answer = Answer(
            str(response.url),
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            response.content,
        )
        if answer.is_success:
            return answer
        raise SourceUnavailable(f"{url} answered HTTP {answer.status_code}; nothing was fetched")


__all__ = ["MAX_BYTES", "Answer", "Downloader", "SourceUnavailable"]
