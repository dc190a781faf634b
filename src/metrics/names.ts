// Owns every metric name and help text in one table, so the naming lint and docs/metrics.md check one place.

/** `dunlin_<subsystem>_<name>`, base units (seconds, bytes), counters end in `_total` (Prometheus naming guide). */
export const METRICS = {
  queries: { name: 'dunlin_dns_queries_total', help: 'DNS queries answered, by transport, response code and query type.' },
  responseSize: { name: 'dunlin_dns_response_size_bytes', help: 'Size of DNS responses sent, in bytes.' },
  tcpOpen: { name: 'dunlin_tcp_connections_open', help: 'TCP connections currently open, from the workers\' connection registries.' },
  tcpOldest: { name: 'dunlin_tcp_connection_oldest_age_seconds', help: 'Age of the oldest open TCP connection in any worker.' },
  tcpAccepted: { name: 'dunlin_tcp_connections_accepted_total', help: 'TCP connections accepted.' },
  tcpClosed: { name: 'dunlin_tcp_connections_closed_total', help: 'TCP connections closed, by reason (eof, idle-timeout, read-timeout, limit, error, reset, shutdown).' },
  zoneSerial: { name: 'dunlin_zone_serial', help: 'SOA serial of the loaded zone.' },
  zoneRecords: { name: 'dunlin_zone_records', help: 'Records in the loaded zone.' },
  zoneLoad: { name: 'dunlin_zone_load_seconds', help: 'Time the last load of the zone took, in seconds.' },
  zoneLoaded: { name: 'dunlin_zone_loaded', help: 'Whether a version of the configured zone is served (1) or not (0: its load failed; answered SERVFAIL).' },
  zoneFailures: { name: 'dunlin_zone_reload_failures_total', help: 'Loads and reloads of the zone that failed (the previous version, if any, kept serving).' },
  openFds: { name: 'dunlin_process_open_fds', help: 'Open file descriptors of each server process (from /proc/PID/fd).' },
  maxFds: { name: 'dunlin_process_max_fds', help: 'Soft RLIMIT_NOFILE of each server process (from /proc/PID/limits).' },
  rss: { name: 'dunlin_process_resident_memory_bytes', help: 'Resident memory of each server process (VmRSS).' },
  tcpSockets: { name: 'dunlin_process_tcp_sockets', help: 'TCP sockets each server process holds, by kernel state (from /proc/net/tcp*); CLOSE_WAIT that stays above 0 is a leak.' },
  orphanSockets: { name: 'dunlin_tcp_orphan_sockets', help: 'Sockets on the listening ports that no process holds any more, by kernel state (TIME_WAIT is normal).' },
  xfrIn: { name: 'dunlin_xfr_in_total', help: 'Inbound zone transfers (secondary zones), by zone, kind (axfr, ixfr) and result (ok, failed).' },
  xfrInDuration: { name: 'dunlin_xfr_in_duration_seconds', help: 'Duration of inbound zone transfers, from the request to the new version served (or the failure), by kind.' },
  xfrInBytes: { name: 'dunlin_xfr_in_bytes_total', help: 'Octets received in inbound zone transfers, by zone and kind.' },
  notifyIn: { name: 'dunlin_notify_received_total', help: 'NOTIFY messages accepted for secondary zones (ACL and TSIG passed), by zone.' },
  scrapeWorkers: { name: 'dunlin_metrics_workers_reporting', help: 'Workers that answered this scrape.' },
} as const;
