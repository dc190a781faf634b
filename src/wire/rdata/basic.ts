// Owns the field-list descriptors of every RDATA type that fits the generic engine (RFC 1035, 1183, 2782, 3403, 4034, 5155, 6698 ... shapes).
import { RRType } from '../constants.ts';
import { descriptorCodec, type DunlinCodec, type Field } from './fields.ts';

const T = RRType;
// Additional-section targets that are the root mean "no service" (RFC 7505 null MX, RFC 2782 SRV
// "."), so only CNAME and DNAME (which lookup chases) report a root target.
const ds: Field[] = [['u16', 'key tag'], ['alg', 'algorithm'], ['u8', 'digest type'], ['hex', 'digest']];
// Digest lengths of the assigned DS digest types (RFC 4034 SHA-1, RFC 4509 SHA-256, RFC 5933 GOST, RFC 6605 SHA-384).
const DIGEST_LENGTH: Record<number, number> = { 1: 20, 2: 32, 3: 32, 4: 48 };
const dsCheck = (b: Uint8Array): string | null => {
  const want = DIGEST_LENGTH[b[3]!];
  return want !== undefined && b.length - 4 !== want ? `digest type ${b[3]} needs ${want} octets of digest, got ${b.length - 4}` : null;
};
const dnskey: Field[] = [['u16', 'flags'], ['u8', 'protocol'], ['alg', 'algorithm'], ['b64', 'public key']];
const rrsig = (signer: 'name' | 'dname'): Field[] => [
  ['rrtype', 'type covered'], ['alg', 'algorithm'], ['u8', 'labels'], ['period', 'original TTL'],
  ['time', 'signature expiration'], ['time', 'signature inception'], ['u16', 'key tag'], [signer, "signer's name"], ['b64', 'signature'],
];
const tlsa: Field[] = [['u8', 'usage'], ['u8', 'selector'], ['u8', 'matching type'], ['hex', 'certificate association data']];
const txt: Field[] = [['strs', 'text']];

export const basicCodecs: readonly DunlinCodec[] = [
  descriptorCodec(T.A, [['ipv4', 'address']]),
  descriptorCodec(T.NS, [['cname', 'nsdname']], { target: 0, targetNonRoot: true }),
  // MD/MF (obsolete) and MB/MG/MR/MINFO (experimental) are RFC 1035 types, so RFC 3597 §4 would allow
  // compressing them, but current decoders treat them as unknown (Knot 3 decompresses them as
  // "obsolete", dnspython 2 does not decompress them at all): we decompress them on input and
  // never compress them on output.
  descriptorCodec(T.MD, [['dname', 'madname']], { target: 0, targetNonRoot: true }),
  descriptorCodec(T.MF, [['dname', 'madname']], { target: 0, targetNonRoot: true }),
  descriptorCodec(T.CNAME, [['cname', 'cname']], { target: 0 }),
  descriptorCodec(T.SOA, [
    ['cname', 'mname'], ['cname', 'rname'], ['u32', 'serial'], ['period', 'refresh'], ['period', 'retry'], ['period', 'expire'], ['period', 'minimum'],
  ]),
  descriptorCodec(T.MB, [['dname', 'madname']], { target: 0, targetNonRoot: true }),
  descriptorCodec(T.MG, [['dname', 'mgmname']]),
  descriptorCodec(T.MR, [['dname', 'newname']]),
  descriptorCodec(T.PTR, [['cname', 'ptrdname']], { target: 0, targetNonRoot: true }),
  descriptorCodec(T.HINFO, [['str', 'cpu'], ['str', 'os']]),
  descriptorCodec(T.MINFO, [['dname', 'rmailbx'], ['dname', 'emailbx']]),
  descriptorCodec(T.MX, [['u16', 'preference'], ['cname', 'exchange']], { target: 0, targetNonRoot: true }),
  descriptorCodec(T.TXT, txt),
  descriptorCodec(T.RP, [['dname', 'mbox'], ['dname', 'txtdname']]),
  descriptorCodec(T.AFSDB, [['u16', 'subtype'], ['dname', 'hostname']], { target: 0, targetNonRoot: true }),
  descriptorCodec(T.X25, [['str', 'PSDN address']]),
  descriptorCodec(T.ISDN, [['str', 'ISDN address'], ['strOpt', 'subaddress']]),
  descriptorCodec(T.RT, [['u16', 'preference'], ['dname', 'intermediate host']], { target: 0, targetNonRoot: true }),
  descriptorCodec(T.NSAP, [['nsap', 'NSAP address']], { check: (b) => (b.length === 0 ? 'empty NSAP address' : null) }),
  descriptorCodec(T['NSAP-PTR'], [['name', 'owner']]),
  descriptorCodec(T.SIG, rrsig('dname')),
  descriptorCodec(T.KEY, dnskey),
  descriptorCodec(T.PX, [['u16', 'preference'], ['dname', 'map822'], ['dname', 'mapx400']]),
  descriptorCodec(T.GPOS, [['str', 'longitude'], ['str', 'latitude'], ['str', 'altitude']]),
  descriptorCodec(T.AAAA, [['ipv6', 'address']]),
  descriptorCodec(T.NXT, [['dname', 'next domain'], ['hex', 'type bitmap']]),
  descriptorCodec(T.SRV, [['u16', 'priority'], ['u16', 'weight'], ['u16', 'port'], ['dname', 'target']], { target: 0, targetNonRoot: true }),
  descriptorCodec(T.NAPTR, [
    ['u16', 'order'], ['u16', 'preference'], ['str', 'flags'], ['str', 'services'], ['str', 'regexp'], ['dname', 'replacement'],
  ], { target: 0, targetNonRoot: true }),
  descriptorCodec(T.KX, [['u16', 'preference'], ['name', 'exchanger']], { target: 0, targetNonRoot: true }),
  descriptorCodec(T.CERT, [['certtype', 'type'], ['u16', 'key tag'], ['alg', 'algorithm'], ['b64', 'certificate']]),
  descriptorCodec(T.DNAME, [['name', 'target']], { target: 0 }),
  descriptorCodec(T.DS, ds, { check: dsCheck }),
  descriptorCodec(T.SSHFP, [['u8', 'algorithm'], ['u8', 'fingerprint type'], ['hex', 'fingerprint']]),
  descriptorCodec(T.RRSIG, rrsig('name')),
  descriptorCodec(T.NSEC, [['name', 'next domain'], ['bitmap', 'type bitmap']]),
  descriptorCodec(T.DNSKEY, dnskey),
  descriptorCodec(T.DHCID, [['b64', 'digest']]),
  descriptorCodec(T.NSEC3, [
    ['u8', 'hash algorithm'], ['u8', 'flags'], ['u16', 'iterations'], ['hexlen', 'salt'], ['b32len', 'next hashed owner'], ['bitmap', 'type bitmap'],
  ]),
  descriptorCodec(T.NSEC3PARAM, [['u8', 'hash algorithm'], ['u8', 'flags'], ['u16', 'iterations'], ['hexlen', 'salt']]),
  descriptorCodec(T.TLSA, tlsa),
  descriptorCodec(T.SMIMEA, tlsa),
  descriptorCodec(T.NINFO, txt),
  descriptorCodec(T.RKEY, dnskey),
  descriptorCodec(T.TALINK, [['name', 'previous'], ['name', 'next']]),
  descriptorCodec(T.CDS, ds, { check: dsCheck }),
  descriptorCodec(T.CDNSKEY, dnskey),
  descriptorCodec(T.OPENPGPKEY, [['b64', 'public key']]),
  descriptorCodec(T.CSYNC, [['u32', 'SOA serial'], ['u16', 'flags'], ['bitmap', 'type bitmap']]),
  descriptorCodec(T.ZONEMD, [['u32', 'serial'], ['u8', 'scheme'], ['u8', 'hash algorithm'], ['hex', 'digest']]),
  descriptorCodec(T.SPF, txt),
  descriptorCodec(T.NID, [['u16', 'preference'], ['ilnp64', 'node id']]),
  descriptorCodec(T.L32, [['u16', 'preference'], ['ipv4', 'locator32']]),
  descriptorCodec(T.L64, [['u16', 'preference'], ['ilnp64', 'locator64']]),
  descriptorCodec(T.LP, [['u16', 'preference'], ['name', 'fqdn']]),
  descriptorCodec(T.EUI48, [['eui48', 'address']]),
  descriptorCodec(T.EUI64, [['eui64', 'address']]),
  descriptorCodec(T.URI, [['u16', 'priority'], ['u16', 'weight'], ['text', 'target']]),
  descriptorCodec(T.AVC, txt),
  descriptorCodec(T.TA, ds, { check: dsCheck }),
  descriptorCodec(T.DLV, ds, { check: dsCheck }),
];
