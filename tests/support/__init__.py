"""Stand-ins shared by the tests: real HTTP servers on 127.0.0.1 that speak the formats of the
public sources (GOV.UK's Content API and asset host, KNMI's station zips), and helpers for
the CROSSINGS_* settings. Test modules import from here, never from each other."""
