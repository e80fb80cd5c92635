"""Background jobs: plain functions taking ids, a queue interface (in-process or RQ) and the outbox."""
