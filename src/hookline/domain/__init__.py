"""Pure domain: models, ids, policies and signing. Imports no other hookline layer."""
