// Owns the default location of the control socket, shared by `dunlin serve` (config) and `dunlin sockstat`.
import { join } from 'node:path';

/**
 * Default control socket path: `$XDG_RUNTIME_DIR/dunlin/control.sock` when XDG_RUNTIME_DIR is set
 * (a per-user 0700 tmpfs on systemd hosts), else `/tmp/dunlin-<uid>/control.sock`.
 */
export function defaultControlSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime !== undefined && runtime !== '') return join(runtime, 'dunlin', 'control.sock');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join('/tmp', `dunlin-${uid}`, 'control.sock');
}

/** The key file that sits next to a control socket. */
export function controlKeyPath(socketPath: string): string {
  return socketPath + '.key';
}
