"""One module per `crossings` command."""
