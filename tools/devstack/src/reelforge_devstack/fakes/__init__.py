"""Fake AI providers that speak the real providers' HTTP protocols (MiniMax,
Segmind, OpenAI-compatible chat), for tests, benchmarks and trying aigen
without keys. Each keeps count of what it was asked, answers after an
optional delay, and can be told to fail the next calls of an endpoint in the
ways the real ones do."""
