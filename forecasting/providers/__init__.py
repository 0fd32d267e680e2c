"""HTTP clients for outside data providers (timeouts, bounded retries)."""
