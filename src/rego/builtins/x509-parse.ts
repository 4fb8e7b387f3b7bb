// X.509 certificates and certificate requests as the objects OPA returns:
// Go's crypto/x509 structs marshalled to JSON (field names and enums as in
// Go), plus OPA's own `URIStrings`. Big integers that do not fit a double
// (public key moduli) are left out rather than returned wrong.

import {
  Asn1Error,
  bigInt,
  children,
  isContext,
  isUniversal,
  oidArcs,
  oidString,
  parseDer,
  readTlv,
  stringValue,
  TAG,
  timeValue,
  type Tlv,
} from './asn1.js';
import type { RegoValue } from './types.js';

type Obj = { [k: string]: RegoValue };

/** The DER bytes did not hold a certificate. */
export class X509Error extends Error {}

const SIGNATURE_ALGORITHMS: Record<string, number> = {
  '1.2.840.113549.1.1.2': 1,
  '1.2.840.113549.1.1.4': 2,
  '1.2.840.113549.1.1.5': 3,
  '1.2.840.113549.1.1.11': 4,
  '1.2.840.113549.1.1.12': 5,
  '1.2.840.113549.1.1.13': 6,
  '1.2.840.10040.4.3': 7,
  '2.16.840.1.101.3.4.3.2': 8,
  '1.2.840.10045.4.1': 9,
  '1.2.840.10045.4.3.2': 10,
  '1.2.840.10045.4.3.3': 11,
  '1.2.840.10045.4.3.4': 12,
  '1.2.840.113549.1.1.10': 13,
  '1.3.101.112': 16,
};

const PUBLIC_KEY_ALGORITHMS: Record<string, number> = {
  '1.2.840.113549.1.1.1': 1,
  '1.2.840.10040.4.1': 2,
  '1.2.840.10045.2.1': 3,
  '1.3.101.112': 4,
};

const EXT_KEY_USAGES: Record<string, number> = {
  '2.5.29.37.0': 0,
  '1.3.6.1.5.5.7.3.1': 1,
  '1.3.6.1.5.5.7.3.2': 2,
  '1.3.6.1.5.5.7.3.3': 3,
  '1.3.6.1.5.5.7.3.4': 4,
  '1.3.6.1.5.5.7.3.5': 5,
  '1.3.6.1.5.5.7.3.6': 6,
  '1.3.6.1.5.5.7.3.7': 7,
  '1.3.6.1.5.5.7.3.8': 8,
  '1.3.6.1.5.5.7.3.9': 9,
  '1.3.6.1.4.1.311.10.3.3': 10,
  '2.16.840.1.113730.4.1': 11,
  '1.3.6.1.4.1.311.2.1.22': 12,
  '1.3.6.1.4.1.311.61.1.1': 13,
};

export const EXT_KEY_USAGE_NAMES = [
  'KeyUsageAny',
  'KeyUsageServerAuth',
  'KeyUsageClientAuth',
  'KeyUsageCodeSigning',
  'KeyUsageEmailProtection',
  'KeyUsageIPSECEndSystem',
  'KeyUsageIPSECTunnel',
  'KeyUsageIPSECUser',
  'KeyUsageTimeStamping',
  'KeyUsageOCSPSigning',
  'KeyUsageMicrosoftServerGatedCrypto',
  'KeyUsageNetscapeServerGatedCrypto',
  'KeyUsageMicrosoftCommercialCodeSigning',
  'KeyUsageMicrosoftKernelCodeSigning',
];

const NAME_FIELDS: Record<string, string> = {
  '2.5.4.6': 'Country',
  '2.5.4.10': 'Organization',
  '2.5.4.11': 'OrganizationalUnit',
  '2.5.4.7': 'Locality',
  '2.5.4.8': 'Province',
  '2.5.4.9': 'StreetAddress',
  '2.5.4.17': 'PostalCode',
};

const b64 = (b: Buffer): string => b.toString('base64');

function need(cond: unknown, what: string): asserts cond {
  if (!cond) throw new X509Error(what);
}

/** pkix.Name: multi-valued fields as arrays (null when absent), plus Names in order. */
function parseName(t: Tlv): Obj {
  const out: Obj = {
    Country: null,
    Organization: null,
    OrganizationalUnit: null,
    Locality: null,
    Province: null,
    StreetAddress: null,
    PostalCode: null,
    SerialNumber: '',
    CommonName: '',
    Names: [],
    ExtraNames: null,
  };
  const names: RegoValue[] = [];
  for (const rdn of children(t)) {
    for (const atv of children(rdn)) {
      const [type, value] = children(atv);
      need(isUniversal(type, TAG.OID) && value, 'malformed name');
      const oid = oidString(type);
      const v = stringValue(value);
      names.push({ Type: oidArcs(type), Value: v });
      const field = NAME_FIELDS[oid];
      if (field) out[field] = [...((out[field] as string[] | null) ?? []), v];
      else if (oid === '2.5.4.3') out.CommonName = v;
      else if (oid === '2.5.4.5') out.SerialNumber = v;
    }
  }
  out.Names = names;
  return out;
}

function algorithmOid(t: Tlv | undefined): string {
  need(isUniversal(t, TAG.SEQUENCE), 'malformed algorithm identifier');
  const [oid] = children(t);
  need(isUniversal(oid, TAG.OID), 'malformed algorithm identifier');
  return oidString(oid);
}

function ipString(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  const groups: string[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  // Compress the longest run of zero groups as Go's net.IP.String does.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

interface Sans {
  DNSNames: string[] | null;
  EmailAddresses: string[] | null;
  IPAddresses: string[] | null;
  URIs: string[] | null;
}

function parseSans(extnValue: Buffer, into: Sans): void {
  const seq = parseDer(extnValue);
  for (const gn of children(seq)) {
    if (gn.cls !== 2) continue;
    const push = (k: keyof Sans, v: string) => (into[k] = [...(into[k] ?? []), v]);
    if (gn.tag === 1) push('EmailAddresses', gn.body.toString('latin1'));
    else if (gn.tag === 2) push('DNSNames', gn.body.toString('latin1'));
    else if (gn.tag === 6) push('URIs', gn.body.toString('latin1'));
    else if (gn.tag === 7) push('IPAddresses', ipString(gn.body));
  }
}

function parseExtensions(list: Tlv[], out: Obj, sans: Sans): void {
  const exts: RegoValue[] = [];
  for (const ext of list) {
    const parts = children(ext);
    const id = parts[0];
    need(isUniversal(id, TAG.OID), 'malformed extension');
    let critical = false;
    let valueT = parts[1];
    if (isUniversal(valueT, TAG.BOOLEAN)) {
      critical = valueT.body[0] !== 0;
      valueT = parts[2];
    }
    need(isUniversal(valueT, TAG.OCTET_STRING), 'malformed extension');
    const value = valueT.body;
    exts.push({ Id: oidArcs(id), Critical: critical, Value: b64(value) });
    switch (oidString(id)) {
      case '2.5.29.17':
        parseSans(value, sans);
        break;
      case '2.5.29.19': {
        const items = children(parseDer(value));
        out.BasicConstraintsValid = true;
        let i = 0;
        if (isUniversal(items[0], TAG.BOOLEAN)) {
          out.IsCA = items[0].body[0] !== 0;
          i = 1;
        }
        const pathLen = items[i];
        if (isUniversal(pathLen, TAG.INTEGER)) {
          out.MaxPathLen = Number(bigInt(pathLen));
          out.MaxPathLenZero = out.MaxPathLen === 0;
        } else out.MaxPathLen = -1;
        break;
      }
      case '2.5.29.15': {
        const bits = parseDer(value).body;
        let usage = 0;
        for (let i = 0; i < 9 && i < (bits.length - 1) * 8; i++) {
          if (bits[1 + (i >> 3)]! & (0x80 >> (i & 7))) usage |= 1 << i;
        }
        out.KeyUsage = usage;
        break;
      }
      case '2.5.29.37': {
        const known: number[] = [];
        const unknown: number[][] = [];
        for (const o of children(parseDer(value))) {
          const k = EXT_KEY_USAGES[oidString(o)];
          if (k === undefined) unknown.push(oidArcs(o));
          else known.push(k);
        }
        out.ExtKeyUsage = known.length ? known : null;
        out.UnknownExtKeyUsage = unknown.length ? unknown : null;
        break;
      }
      case '2.5.29.14':
        out.SubjectKeyId = b64(parseDer(value).body);
        break;
      case '2.5.29.35': {
        const keyId = children(parseDer(value)).find((c) => isContext(c, 0));
        if (keyId) out.AuthorityKeyId = b64(keyId.body);
        break;
      }
    }
  }
  out.Extensions = exts.length ? exts : null;
}

/** One DER certificate as Go's x509.Certificate (JSON form) with OPA's URIStrings. */
export function parseCertificateDer(der: Buffer): Obj {
  let cert: Tlv;
  try {
    cert = parseDer(der);
    const [tbs, sigAlg, sig] = children(cert);
    need(isUniversal(cert, TAG.SEQUENCE) && isUniversal(tbs, TAG.SEQUENCE) && isUniversal(sig, TAG.BIT_STRING), 'malformed');
    const f = children(tbs);
    let i = 0;
    let version = 1;
    if (isContext(f[0], 0)) {
      version = Number(bigInt(children(f[0])[0]!)) + 1;
      i = 1;
    }
    const [serial, , issuer, validity, subject, spki] = f.slice(i);
    need(isUniversal(serial, TAG.INTEGER) && issuer && validity && subject && isUniversal(spki, TAG.SEQUENCE), 'malformed tbs');
    const [notBefore, notAfter] = children(validity);
    need(notBefore && notAfter, 'malformed validity');
    const out: Obj = {
      Raw: b64(cert.raw),
      RawTBSCertificate: b64(tbs.raw),
      RawSubjectPublicKeyInfo: b64(spki.raw),
      RawSubject: b64(subject.raw),
      RawIssuer: b64(issuer.raw),
      Signature: b64(sig.body.subarray(1)),
      SignatureAlgorithm: SIGNATURE_ALGORITHMS[algorithmOid(sigAlg)] ?? 0,
      PublicKeyAlgorithm: PUBLIC_KEY_ALGORITHMS[algorithmOid(children(spki)[0])] ?? 0,
      Version: version,
      SerialNumber: Number(bigInt(serial)),
      Issuer: parseName(issuer),
      Subject: parseName(subject),
      NotBefore: timeValue(notBefore),
      NotAfter: timeValue(notAfter),
      KeyUsage: 0,
      Extensions: null,
      ExtraExtensions: null,
      UnhandledCriticalExtensions: null,
      ExtKeyUsage: null,
      UnknownExtKeyUsage: null,
      BasicConstraintsValid: false,
      IsCA: false,
      MaxPathLen: 0,
      MaxPathLenZero: false,
      SubjectKeyId: null,
      AuthorityKeyId: null,
      OCSPServer: null,
      IssuingCertificateURL: null,
      DNSNames: null,
      EmailAddresses: null,
      IPAddresses: null,
      URIs: null,
      URIStrings: null,
    };
    const sans: Sans = { DNSNames: null, EmailAddresses: null, IPAddresses: null, URIs: null };
    const extsT = f.slice(i + 6).find((x) => isContext(x, 3));
    if (extsT) parseExtensions(children(children(extsT)[0]!), out, sans);
    out.DNSNames = sans.DNSNames;
    out.EmailAddresses = sans.EmailAddresses;
    out.IPAddresses = sans.IPAddresses;
    out.URIStrings = sans.URIs;
    return out;
  } catch (e) {
    if (e instanceof X509Error || e instanceof Asn1Error) throw new X509Error('x509: malformed certificate');
    throw e;
  }
}

/** Go's x509.ParseCertificates: concatenated DER certificates. */
export function parseCertificatesDer(der: Buffer): Obj[] {
  const out: Obj[] = [];
  let off = 0;
  while (off < der.length) {
    let next: number;
    try {
      next = readTlv(der, off).next;
    } catch {
      throw new X509Error('x509: malformed certificate');
    }
    out.push(parseCertificateDer(der.subarray(off, next)));
    off = next;
  }
  return out;
}

/** A DER certificate request as Go's x509.CertificateRequest (JSON form). */
export function parseCertificateRequestDer(der: Buffer): Obj {
  try {
    const csr = parseDer(der);
    need(isUniversal(csr, TAG.SEQUENCE), 'tags');
    const [info, sigAlg, sig] = children(csr);
    need(isUniversal(info, TAG.SEQUENCE) && isUniversal(sig, TAG.BIT_STRING), 'tags');
    const [version, subject, spki, attrs] = children(info);
    need(isUniversal(version, TAG.INTEGER) && subject && isUniversal(spki, TAG.SEQUENCE), 'tags');
    const out: Obj = {
      Raw: b64(csr.raw),
      RawTBSCertificateRequest: b64(info.raw),
      RawSubjectPublicKeyInfo: b64(spki.raw),
      RawSubject: b64(subject.raw),
      Version: Number(bigInt(version)),
      Signature: b64(sig.body.subarray(1)),
      SignatureAlgorithm: SIGNATURE_ALGORITHMS[algorithmOid(sigAlg)] ?? 0,
      PublicKeyAlgorithm: PUBLIC_KEY_ALGORITHMS[algorithmOid(children(spki)[0])] ?? 0,
      Subject: parseName(subject),
      Attributes: null,
      Extensions: null,
      ExtraExtensions: null,
      DNSNames: null,
      EmailAddresses: null,
      IPAddresses: null,
      URIs: null,
    };
    const sans: Sans = { DNSNames: null, EmailAddresses: null, IPAddresses: null, URIs: null };
    if (isContext(attrs, 0)) {
      for (const attr of children(attrs)) {
        const [id, values] = children(attr);
        // PKCS#9 extensionRequest carries the requested extensions.
        if (id && values && oidString(id) === '1.2.840.113549.1.9.14') {
          for (const v of children(values)) parseExtensions(children(v), out, sans);
        }
      }
    }
    Object.assign(out, { DNSNames: sans.DNSNames, EmailAddresses: sans.EmailAddresses, IPAddresses: sans.IPAddresses });
    return out;
  } catch (e) {
    if (e instanceof X509Error || e instanceof Asn1Error) {
      throw new X509Error('asn1: structure error: tags don\'t match');
    }
    throw e;
  }
}
