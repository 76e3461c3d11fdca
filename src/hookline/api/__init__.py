"""The HTTP API (v1): FastAPI routers, request/response schemas, auth, problem+json."""
