// Owns the serving thread's entry point: a logger that names the thread, then runWorker.
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { createLogger } from '../log/index.ts';
import type { WorkerData } from './ipc.ts';
import { runWorker } from './worker.ts';

const port = parentPort;
if (port === null) throw new Error('worker-thread.ts runs only as a worker thread');
const data = workerData as WorkerData;
const log = createLogger({ level: data.config.log.level, format: data.config.log.format, name: 'dunlin', base: { role: 'worker', worker: data.index, threadId } });
// A failure here is an uncaught exception of the thread: the main thread sees 'error' and 'exit' and restarts it.
await runWorker(data, log, port);
