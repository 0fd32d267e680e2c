"""The `crossings` command line, on top of the library (`forecasting`) and the server (`api`)."""
