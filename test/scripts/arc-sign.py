#!/usr/bin/python3
# Adds an ARC set to a message with dkimpy (Debian's python3-dkim, the library
# behind arcsign), as a forwarder outside the organization would: the message
# must carry an Authentication-Results field of SRV_ID. Reads the message on
# stdin, writes it with the ARC set on top to stdout.
# Usage: arc-sign.py PRIVATE_KEY_FILE DOMAIN SELECTOR SRV_ID
import sys

import dkim

key_file, domain, selector, srv_id = sys.argv[1:5]
message = sys.stdin.buffer.read()
with open(key_file, 'rb') as f:
    key = f.read()
headers = dkim.arc_sign(message, selector.encode(), domain.encode(), key, srv_id.encode())
if not headers:
    sys.exit('no ARC set made (no Authentication-Results of %s?)' % srv_id)
sys.stdout.buffer.write(b''.join(headers) + message)
