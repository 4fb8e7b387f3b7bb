import { loadTopic } from './test/rego/builtins/support/cases.js';
import { X509Certificate } from 'node:crypto';
import { pemDecodeAll } from './src/rego/builtins/go-pem.js';
import { parseCertificateDer } from './src/rego/builtins/x509-parse.js';
const c = loadTopic('cryptox509parseandverifycertificates')[1]!;
const pem = /`([^`]*)`/.exec(c.modules[0]!)![1]!;
const blocks = pemDecodeAll(pem);
for (const b of blocks) { const v = parseCertificateDer(b.bytes); console.log(v.Subject, v.Issuer, v.NotBefore, v.NotAfter, v.IsCA, v.ExtKeyUsage, v.RawIssuer === v.RawSubject); }
const [root, leaf] = blocks.map(b => new X509Certificate(b.bytes));
console.log(leaf!.verify(root!.publicKey), leaf!.checkIssued(root!));
