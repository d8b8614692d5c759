#!/usr/bin/python3
# Verifies the ARC chain of a message with dkimpy (Debian's python3-dkim, the
# library behind arcverify), looking the public keys up on the given DNS server
# instead of the system's resolver.
# Usage: arc-verify.py DNS_ADDRESS DNS_PORT MESSAGE_FILE
# Prints one JSON object: {"cv": "pass"|"fail"|"none"|null, "comment": ...,
# "sets": [{"instance", "ams_valid", "as_valid", "cv", "domain", "selector"}, newest first]}.
import json
import sys

import dkim

from local_dns import txt_lookup

address, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
txt = txt_lookup(address, port)


with open(path, 'rb') as f:
    message = f.read()
cv, results, comment = dkim.arc_verify(message, dnsfunc=txt)
text = lambda v: v.decode() if isinstance(v, bytes) else v
print(json.dumps({
    'cv': text(cv), 'comment': comment,
    'sets': [{'instance': r['instance'], 'ams_valid': bool(r.get('ams-valid')), 'as_valid': bool(r.get('as-valid')), 'cv': text(r.get('cv')),
              'domain': text(r.get('as-domain')), 'selector': text(r.get('as-selector'))} for r in results],
}))
