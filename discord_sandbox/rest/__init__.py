"""Discord REST API v10 routes served by the sandbox."""
