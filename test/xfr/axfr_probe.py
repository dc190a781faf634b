# Probes a Dunlin primary's transfer refusals with dnspython: AXFR unsigned, with the right key, a wrong secret, an unknown key, a key the ACL does not name, over UDP; prints the outcome.
import sys, dns.query, dns.tsigkeyring, dns.message, dns.tsig, dns.rcode, dns.xfr, dns.zone
port = int(sys.argv[1]); mode = sys.argv[2]
keys = {'good': ('xfr-key', 'aW50ZXJvcC10ZXN0LXNlY3JldC1mb3ItZHVubGluLXhmcg=='), 'wrong': ('xfr-key', 'd3Jvbmctc2VjcmV0LWZvci1kdW5saW4teGZyLXRlc3Q='), 'unknown': ('no-such-key', 'aW50ZXJvcC10ZXN0LXNlY3JldC1mb3ItZHVubGluLXhmcg=='), 'other': ('other-key', 'b3RoZXItc2VjcmV0LWZvci1kdW5saW4teGZyLXRlc3Q=')}
q = dns.message.make_query('r.test', 'AXFR')
if mode in keys:
    n, s = keys[mode]
    q.use_tsig(dns.tsigkeyring.from_text({n: s}), keyname=n, algorithm='hmac-sha256')
try:
    if mode == 'udp':
        r = dns.query.udp(q, '127.0.0.1', port=port, timeout=3)
    else:
        r = dns.query.tcp(q, '127.0.0.1', port=port, timeout=3)
    print('rcode', dns.rcode.to_text(r.rcode()), 'answers', sum(len(x) for x in r.answer))
except dns.tsig.PeerBadKey: print('BADKEY')
except dns.tsig.PeerBadSignature: print('BADSIG')
except Exception as e: print(type(e).__name__, e)
