"""The planner page: its HTML, its script and the track-record panel."""
