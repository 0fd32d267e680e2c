"""The forecast archive: the store (the `ForecastArchive` facade over the writer thread and the
queries), its tables, the outbox that keeps every issued forecast until it is written, and the
retention of scenario forecasts."""
