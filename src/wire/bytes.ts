// Owns the small byte and address primitives every layer shares: case folding, big-endian reads, IP text forms, host:port formatting.

/** ASCII case folding of one octet (RFC 4343 §3: only A-Z fold; other octets compare exactly). */
export const lowerByte = (b: number): number => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b);

/** Big-endian 16-bit read; the caller has checked that two octets are there. */
export const readU16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;

/** Big-endian 32-bit read as an unsigned number; the caller has checked that four octets are there. */
export const readU32 = (b: Uint8Array, at: number): number =>
  ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;

/** 4 or 6 when `s` is an IPv4 or IPv6 literal (RFC 4291 §2.2 forms), else 0. Same answer as net.isIP for literals without a zone index. */
export function ipFamily(s: string): 0 | 4 | 6 {
  if (s.includes(':')) return parseIpv6Text(s) === undefined ? 0 : 6;
  return parseIpv4Text(s) === undefined ? 0 : 4;
}

/** `host:port`, with IPv6 hosts in brackets (RFC 3986 §3.2.2); an unknown host (a closed socket) is '?'. */
export function formatHostPort(host: string | undefined, port: number | undefined): string {
  if (host === undefined) return '?';
  return host.includes(':') ? `[${host}]:${port ?? 0}` : `${host}:${port ?? 0}`;
}

export function parseIpv4Text(s: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = m[i + 1]!;
    const v = Number(part);
    if (v > 255 || (part.length > 1 && part.startsWith('0'))) return undefined;
    out[i] = v;
  }
  return out;
}

export function ipv4ToText(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** RFC 4291 §2.2 text forms, including `::` and a trailing dotted quad. */
export function parseIpv6Text(s: string): Uint8Array | undefined {
  if (s.length < 2 || s.length > 45) return undefined;
  let tail: Uint8Array | undefined;
  let str = s;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    tail = parseIpv4Text(s.slice(lastColon + 1));
    if (!tail) return undefined;
    str = s.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = str.indexOf('::');
  if (dbl !== str.lastIndexOf('::')) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl >= 0) {
    const head = parseGroups(str.slice(0, dbl));
    const rest = parseGroups(str.slice(dbl + 2));
    if (!head || !rest || head.length + rest.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    const all = parseGroups(str);
    if (all?.length !== 8) return undefined;
    groups = all;
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = groups[i]! >>> 8;
    out[i * 2 + 1] = groups[i]! & 0xff;
  }
  if (tail) out.set(tail, 12);
  return out;
}

/** RFC 5952 §4 canonical text: lower-case, longest zero run (≥2 groups, first on ties) as `::`. */
export function ipv6ToText(b: Uint8Array, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[off + i * 2]! << 8) | b[off + i * 2 + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}
