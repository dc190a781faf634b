// Owns access control for transfers, NOTIFY and updates: a zone's acl rules, first match decides, no match refuses.
import { parseIpv4Text, parseIpv6Text } from '../wire/bytes.ts';

export type AclAction = 'transfer' | 'notify' | 'update';

/** A rule as the configuration gives it (acls[]): addresses/ranges, keys, actions, deny. */
export interface AclRuleSpec {
  readonly name: string;
  readonly address: readonly { readonly address: string; readonly prefix: number }[] | null;
  readonly key: readonly string[] | null;
  readonly action: readonly AclAction[];
  readonly deny: boolean;
}

export interface AclZoneSpec {
  /** Lowercase, absolute (trailing dot). */
  readonly name: string;
  readonly acl: readonly string[];
}

interface Range {
  /** 16 octets: IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d), so one comparison serves both. */
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

interface Rule {
  readonly name: string;
  readonly ranges: readonly Range[] | null;
  readonly keys: ReadonlySet<string> | null;
  readonly actions: ReadonlySet<AclAction>;
  readonly deny: boolean;
}

/** 16 octets for an IP literal (IPv4 mapped into ::ffff:0:0/96; an IPv6 zone index is ignored), or null. */
export function ipBytes(ip: string): Uint8Array | null {
  const v4 = parseIpv4Text(ip);
  if (v4 !== undefined) {
    const b = new Uint8Array(16);
    b[10] = 0xff;
    b[11] = 0xff;
    b.set(v4, 12);
    return b;
  }
  const pct = ip.indexOf('%');
  const v6 = parseIpv6Text(pct < 0 ? ip : ip.slice(0, pct));
  return v6 ?? null;
}

function inRange(ip: Uint8Array, r: Range): boolean {
  let bits = r.prefix;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip[i]! & mask) !== (r.bytes[i]! & mask)) return false;
  }
  return true;
}

/**
 * The acl rules of every zone, compiled once per configuration. A request is allowed when the
 * first rule of the zone's `acl` list that matches (action, address, key) is not `deny`; with no
 * matching rule it is refused, as in Knot (transfers, NOTIFY and UPDATE are denied by default).
 */
export class AccessControl {
  readonly #zones = new Map<string, readonly Rule[]>();

  constructor(config: { readonly acls: readonly AclRuleSpec[]; readonly zones: readonly AclZoneSpec[] }) {
    const rules = new Map<string, Rule>();
    for (const a of config.acls) {
      const ranges = a.address?.map((c) => {
        const bytes = ipBytes(c.address);
        if (bytes === null) throw new Error(`acl ${a.name}: bad address ${c.address}`);
        // An IPv4 prefix counts from the start of the mapped address (96 bits of ::ffff:0:0/96 before it).
        return { bytes, prefix: c.address.includes(':') ? c.prefix : 96 + c.prefix };
      }) ?? null;
      rules.set(a.name, { name: a.name, ranges, keys: a.key === null ? null : new Set(a.key), actions: new Set(a.action), deny: a.deny });
    }
    for (const z of config.zones) {
      this.#zones.set(z.name.toLowerCase(), z.acl.map((n) => rules.get(n)).filter((r): r is Rule => r !== undefined));
    }
  }

  /**
   * `zone`: lowercase with trailing dot; `peer`: the client's IP; `key`: the configuration name of
   * the key whose TSIG signature on the request was verified, or null for an unsigned request.
   */
  allows(zone: string, action: AclAction, peer: string, key: string | null): boolean {
    return this.match(zone, action, peer, key)?.deny === false;
  }

  /** The rule that decides, or null when none matches (for logs: which rule refused or allowed). */
  match(zone: string, action: AclAction, peer: string, key: string | null): { readonly name: string; readonly deny: boolean } | null {
    const rules = this.#zones.get(zone.toLowerCase());
    if (rules === undefined) return null;
    const ip = ipBytes(peer);
    for (const r of rules) {
      if (!r.actions.has(action)) continue;
      if (r.ranges !== null && (ip === null || !r.ranges.some((range) => inRange(ip, range)))) continue;
      if (r.keys !== null && (key === null || !r.keys.has(key))) continue;
      return { name: r.name, deny: r.deny };
    }
    return null;
  }
}
