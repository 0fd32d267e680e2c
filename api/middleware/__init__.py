"""HTTP middleware and request guards: security headers, the body-read timeout, the
scenario rate limit and HEAD on every GET route."""
