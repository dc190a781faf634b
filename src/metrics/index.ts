// Owns the metrics package's public surface: what the server and transport call.
export { installWorkerMetrics, uninstallWorkerMetrics, setRegistrySource, createWorkerRegistry, requestWorkerMetrics, type MetricsPort } from './worker.ts';
export { startMetricsServer, parseLoopbackListen, MetricsSetupError, type MetricsServer, type MetricsServerOptions } from './server.ts';
export { QUERY_CHANNEL, ZONE_CHANNEL, type QueryEvent, type ZoneEvent } from './channels.ts';
export { METRICS } from './names.ts';
export { registerZoneStateMetrics } from './zones.ts';
export { registerXfrInMetrics } from './xfr-in.ts';
