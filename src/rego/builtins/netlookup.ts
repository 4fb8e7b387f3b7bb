// net.lookup_ip_addr without touching the network: routes must evaluate the
// same everywhere and never wait on DNS, so only IP literals and "localhost"
// resolve; any other name fails as an unresolvable name does in OPA.

import { isIP } from 'node:net';
import { implementAll } from './define.js';
import { strArg } from './operands.js';
import { BuiltinError, type RegoValue } from './types.js';
import { makeSet } from './value.js';

/** The address as Go's net.IP.String prints it (IPv6 compressed, IPv4-mapped as IPv4). */
function canonicalIp(ip: string): string {
  if (isIP(ip) === 4) return ip;
  const host = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
  }
  return host;
}

export function lookupIpAddr(name: string): string[] {
  if (isIP(name)) return [canonicalIp(name)];
  const host = name.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return ['127.0.0.1', '::1'];
  throw new BuiltinError(`lookup ${name}: no such host`);
}

implementAll({
  'net.lookup_ip_addr': (args): RegoValue => makeSet(lookupIpAddr(strArg(args, 0))),
});
