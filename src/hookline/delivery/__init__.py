"""The worker: claim loop, HTTP client under the network policy, attempts, results."""
