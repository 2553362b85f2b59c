-- Reply latency is Prometheus's to measure (supportbot_reply_latency_seconds on
-- /metrics, with finer buckets); the store no longer counts it, and the rows it
-- wrote before are read by nothing and would be kept for ever.
DELETE FROM counts WHERE metric = 'latency';
