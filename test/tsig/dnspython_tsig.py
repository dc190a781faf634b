# Test helper: dnspython's side of the TSIG interop tests (signs and verifies as an independent implementation). JSON in, JSON out.
import binascii, json, sys, time
import dns.message, dns.name, dns.rdatatype, dns.tsig, dns.tsigkeyring

req = json.load(sys.stdin)
ALG = {
    'hmac-md5': dns.tsig.HMAC_MD5, 'hmac-sha1': dns.tsig.HMAC_SHA1, 'hmac-sha224': dns.tsig.HMAC_SHA224,
    'hmac-sha256': dns.tsig.HMAC_SHA256, 'hmac-sha384': dns.tsig.HMAC_SHA384, 'hmac-sha512': dns.tsig.HMAC_SHA512,
}
out = []
for case in req:
    alg = ALG[case['alg']]
    key = dns.tsig.Key(case['keyname'], case['secret'], alg)
    keyring = {key.name: key}
    mode = case['mode']
    if mode == 'sign-query':
        # A fixed clock makes the MAC a test vector.
        real = time.time
        time.time = lambda: case['time']
        q = dns.message.make_query(case['qname'], case['qtype'], use_edns=False)
        q.id = case['id']
        unsigned = q.to_wire()
        q.use_tsig(keyring, key.name, algorithm=alg)
        signed = q.to_wire()
        time.time = real
        out.append({'unsigned': unsigned.hex(), 'signed': signed.hex(), 'mac': q.mac.hex()})
    elif mode == 'verify-answer':
        # Our answer(s) to our own signed request: parse the request (checks its MAC), then each message in order.
        real = time.time
        if 'time' in case:
            time.time = lambda: case['time']
        q = dns.message.from_wire(bytes.fromhex(case['request']), keyring=keyring)
        ctx = None
        ok = []
        for i, h in enumerate(case['answers']):
            try:
                r = dns.message.from_wire(bytes.fromhex(h), keyring=keyring, request_mac=q.mac, xfr=case.get('xfr', False),
                                          origin=dns.name.from_text(case['qname']) if case.get('xfr') else None,
                                          tsig_ctx=ctx, multi=case.get('xfr', False))
                ctx = r.tsig_ctx
                ok.append('ok' if r.had_tsig else 'unsigned')
            except Exception as e:
                ok.append('error: %s' % type(e).__name__)
        time.time = real
        out.append({'results': ok})
    elif mode == 'answer-query':
        # dnspython as the server: verify our signed request, answer with `count` signed messages.
        try:
            q = dns.message.from_wire(bytes.fromhex(case['request']), keyring=keyring)
        except Exception as e:
            out.append({'error': type(e).__name__})
            continue
        msgs = []
        ctx = None
        for i in range(case['count']):
            r = dns.message.make_response(q)
            r.flags |= dns.flags.AA
            wire = r.to_wire(multi=case['count'] > 1, tsig_ctx=ctx)
            ctx = r.tsig_ctx
            msgs.append(wire.hex())
        out.append({'answers': msgs})
json.dump(out, sys.stdout)
