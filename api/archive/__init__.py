"""The forecast archive: the store (writer thread and queries), its tables, the outbox that
keeps every issued forecast until it is written, and the retention of scenario forecasts."""
