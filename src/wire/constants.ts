// Owns the protocol number tables (RR types, classes, rcodes, opcodes) and their mnemonic <-> number maps.

export const RRType = {
  A: 1, NS: 2, MD: 3, MF: 4, CNAME: 5, SOA: 6, MB: 7, MG: 8, MR: 9, NULL: 10, WKS: 11, PTR: 12,
  HINFO: 13, MINFO: 14, MX: 15, TXT: 16, RP: 17, AFSDB: 18, X25: 19, ISDN: 20, RT: 21, NSAP: 22,
  'NSAP-PTR': 23, SIG: 24, KEY: 25, PX: 26, GPOS: 27, AAAA: 28, LOC: 29, NXT: 30, EID: 31, NIMLOC: 32,
  SRV: 33, ATMA: 34, NAPTR: 35, KX: 36, CERT: 37, A6: 38, DNAME: 39, SINK: 40, OPT: 41, APL: 42,
  DS: 43, SSHFP: 44, IPSECKEY: 45, RRSIG: 46, NSEC: 47, DNSKEY: 48, DHCID: 49, NSEC3: 50,
  NSEC3PARAM: 51, TLSA: 52, SMIMEA: 53, HIP: 55, NINFO: 56, RKEY: 57, TALINK: 58, CDS: 59,
  CDNSKEY: 60, OPENPGPKEY: 61, CSYNC: 62, ZONEMD: 63, SVCB: 64, HTTPS: 65, SPF: 99, UINFO: 100,
  UID: 101, GID: 102, UNSPEC: 103, NID: 104, L32: 105, L64: 106, LP: 107, EUI48: 108, EUI64: 109,
  TKEY: 249, TSIG: 250, IXFR: 251, AXFR: 252, MAILB: 253, MAILA: 254, ANY: 255, URI: 256, CAA: 257,
  AVC: 258, DOA: 259, AMTRELAY: 260, TA: 32768, DLV: 32769,
} as const;
export type RRTypeName = keyof typeof RRType;

const typeByNumber = new Map<number, string>();
for (const [k, v] of Object.entries(RRType)) typeByNumber.set(v, k);

/** Mnemonic for a type number, or the RFC 3597 §5 generic form `TYPEnnn`. */
export function typeToText(type: number): string {
  return typeByNumber.get(type) ?? `TYPE${type}`;
}

/** Type number for a mnemonic or `TYPEnnn` (case-insensitive); undefined if unknown. */
export function typeFromText(text: string): number | undefined {
  const up = text.toUpperCase();
  const known = (RRType as Record<string, number>)[up];
  if (known !== undefined) return known;
  const m = /^TYPE(\d{1,5})$/.exec(up);
  if (m) {
    const n = Number(m[1]);
    if (n <= 0xffff) return n;
  }
  return undefined;
}

/** Meta and question-only types (RFC 6895 §3.1): never stored in a zone. */
export function isMetaType(type: number): boolean {
  return type === RRType.OPT || (type >= 128 && type <= 255);
}

export const RRClass = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;

export function classToText(cls: number): string {
  switch (cls) {
    case 1: return 'IN';
    case 3: return 'CH';
    case 4: return 'HS';
    case 254: return 'NONE';
    case 255: return 'ANY';
    default: return `CLASS${cls}`;
  }
}

export function classFromText(text: string): number | undefined {
  const up = text.toUpperCase();
  switch (up) {
    case 'IN': return 1;
    case 'CH': return 3;
    case 'CS': return 2;
    case 'HS': return 4;
    default: {
      const m = /^CLASS(\d{1,5})$/.exec(up);
      if (m) {
        const n = Number(m[1]);
        if (n <= 0xffff) return n;
      }
      return undefined;
    }
  }
}

export const Rcode = {
  NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, YXDOMAIN: 6,
  YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10, BADVERS: 16,
} as const;

export const Opcode = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5, DSO: 6 } as const;

/** Header flag bits in the 16-bit flags word (RFC 1035 §4.1.1, RFC 4035 §3.1.6). */
export const Flag = { QR: 0x8000, AA: 0x0400, TC: 0x0200, RD: 0x0100, RA: 0x0080, AD: 0x0020, CD: 0x0010 } as const;

/** EDNS DO bit in the OPT TTL field (RFC 3225). */
export const EDNS_DO = 0x8000;
