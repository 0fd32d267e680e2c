"""FastAPI service that serves the registry's champion forecasts to planners."""
