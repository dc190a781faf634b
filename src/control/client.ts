// Owns the control channel client: one request over the unix socket, with the key, bounded in time and size.
import { connect } from 'node:net';
import { readFile } from 'node:fs/promises';
import { controlKeyPath } from './paths.ts';
import { MAX_RESPONSE_BYTES, type Command, type ControlArgs, type ControlErrorCode } from './protocol.ts';

export interface ControlRequestOptions {
  readonly timeoutMs?: number;
  readonly args?: ControlArgs;
  /** Key file; defaults to `path + '.key'`. */
  readonly keyPath?: string;
}

/** Why a control request failed: the server could not be reached, or it answered with an error. */
export class ControlClientError extends Error {
  readonly code: 'unreachable' | 'no-key' | 'timeout' | 'protocol' | ControlErrorCode;
  constructor(code: ControlClientError['code'], message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'ControlClientError';
    this.code = code;
  }
}

function errCode(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** Sends one command and resolves with its result object; rejects with a ControlClientError. */
export async function controlRequest(path: string, command: Command, opts: ControlRequestOptions = {}): Promise<object> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  let key: string;
  try {
    key = (await readFile(opts.keyPath ?? controlKeyPath(path), 'utf8')).trim();
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT') throw new ControlClientError('unreachable', `no dunlin server: ${controlKeyPath(path)} does not exist (is the server running with --control ${path}?)`, { cause: err });
    throw new ControlClientError('no-key', `cannot read control key ${opts.keyPath ?? controlKeyPath(path)}: ${code ?? String(err)}`, { cause: err });
  }
  const line = JSON.stringify({ key, command, ...(opts.args ? { args: opts.args } : {}) }) + '\n';

  return new Promise<object>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const socket = connect(path);
    const finish = (err: ControlClientError | undefined, value?: object): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => finish(new ControlClientError('timeout', `control request "${command}" timed out after ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => socket.write(line));
    socket.on('error', (err) => {
      const code = errCode(err);
      const why = code === 'ENOENT' || code === 'ECONNREFUSED'
        ? `no dunlin server is listening on ${path} (${code})`
        : `control socket ${path}: ${code ?? err.message}`;
      finish(new ControlClientError('unreachable', why, { cause: err }));
    });
    socket.on('data', (chunk: Buffer) => {
      const nl = chunk.indexOf(0x0a);
      size += nl >= 0 ? nl : chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        finish(new ControlClientError('protocol', `control response exceeds ${MAX_RESPONSE_BYTES} bytes`));
        return;
      }
      chunks.push(nl >= 0 ? chunk.subarray(0, nl) : chunk);
      if (nl < 0) return;
      let res: unknown;
      try { res = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch {
        finish(new ControlClientError('protocol', 'control response is not valid JSON'));
        return;
      }
      const r = res as { ok?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } };
      if (r.ok === true && typeof r.result === 'object' && r.result !== null) finish(undefined, r.result);
      else if (r.ok === false && r.error) {
        const code = typeof r.error.code === 'string' ? r.error.code as ControlErrorCode : 'internal';
        finish(new ControlClientError(code, `server refused "${command}": ${String(r.error.message)}`));
      } else finish(new ControlClientError('protocol', 'control response has neither result nor error'));
    });
    socket.on('close', () => finish(new ControlClientError('protocol', 'control connection closed before a response')));
  });
}
