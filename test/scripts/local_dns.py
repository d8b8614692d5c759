# The DNS lookup dkimpy's functions are given (their dnsfunc argument) in the tests:
# TXT records from the test's own DNS server on loopback, never the system's resolver.
import dns.resolver


def txt_lookup(address, port):
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [address]
    resolver.port = int(port)

    def txt(name, timeout=5):
        try:
            answer = resolver.resolve(name.decode('ascii'), 'TXT', lifetime=timeout)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        return b''.join(answer[0].strings)

    return txt
