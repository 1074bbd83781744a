"""The benchmark's scenarios, each run inside the load generator process (``bench.loadgen``)."""
