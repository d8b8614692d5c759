#!/usr/bin/python3
# Verifies every DKIM-Signature of a message with dkimpy (Debian's python3-dkim,
# the library behind dkimverify), looking the public keys up on the given DNS
# server instead of the system's resolver.
# Usage: dkim-verify.py DNS_ADDRESS DNS_PORT MESSAGE_FILE
# Prints one line per signature: "pass d=<domain> s=<selector> a=<algorithm> h=<headers>" or "fail ...".
import sys

import dkim

from local_dns import txt_lookup

address, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
txt = txt_lookup(address, port)


with open(path, 'rb') as f:
    message = f.read()
d = dkim.DKIM(message)
signatures = [v for (k, v) in dkim.rfc822_parse(message)[0] if k.lower() == b'dkim-signature']
if not signatures:
    print('none')
for i, raw in enumerate(signatures):
    tags = dkim.parse_tag_value(b''.join(raw.split()))
    ok = d.verify(idx=i, dnsfunc=txt)
    print('%s d=%s s=%s a=%s c=%s h=%s' % ('pass' if ok else 'fail', tags[b'd'].decode(), tags[b's'].decode(), tags[b'a'].decode(), tags.get(b'c', b'simple/simple').decode(), tags[b'h'].decode()))
sys.stdout.flush()
