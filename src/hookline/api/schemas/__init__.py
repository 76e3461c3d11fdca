"""Request and response bodies: the API's contract, and the source of /openapi.json."""
