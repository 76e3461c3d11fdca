"""The Svix-compatible API (DESIGN §9): Svix's routes under `/api/v1/`, so that Svix's
official SDKs and CLI work against Hookline with their server URL set.

A second door onto the same services, never a second implementation: each router
translates Svix's camelCase requests into calls of `hookline.services` and the results
back into Svix's shapes (`schemas/`), with Svix's iterator paging (`paging.py`) and
error bodies (`errors.py`, `door.py`). Where Svix's semantics differ from Hookline's
(a repeated `eventId` is a 409, `filterTypes: null` is every event type, `disabled`,
attempt status integers), the difference lives here, behind this door alone. None of
these routes is in the native OpenAPI document.
"""
