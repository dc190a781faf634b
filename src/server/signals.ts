// Owns SIGUSR1 in the server process: a handler present for the process's whole life, so Node never opens its inspector on that signal.

/**
 * Node starts the inspector (127.0.0.1:9229, code execution as our user) on SIGUSR1 unless a
 * handler is installed. The handler stays until the process exits: removing it would re-open that
 * window during shutdown. What it does (a statistics line, as NSD does) is set by the main thread.
 */
let statistics: (() => void) | null = null;

function onUsr1(): void {
  statistics?.();
}

/** Installs the SIGUSR1 handler once; `dunlin serve` calls it before anything else. */
export function guardSigusr1(): void {
  if (!process.listeners('SIGUSR1').includes(onUsr1)) process.on('SIGUSR1', onUsr1);
}

/** Sets what SIGUSR1 does (null: nothing, the handler stays). */
export function onSigusr1(fn: (() => void) | null): void {
  statistics = fn;
}
