"""Serving the app to many at once, strangers included: workers and the heavy process,
rate limits and the CPU budget, sign-in throttling, security headers, logs without secrets."""
