import 'reflect-metadata'
import tls from 'node:tls'
import * as x509 from '@peculiar/x509'

x509.cryptoProvider.set(globalThis.crypto)
const alg = { name: 'ECDSA', namedCurve: 'P-521', hash: 'SHA-512' }
async function pemKey(k) {
  const d = Buffer.from(await crypto.subtle.exportKey('pkcs8', k))
  return `-----BEGIN PRIVATE KEY-----\n${d
    .toString('base64')
    .match(/.{1,64}/g)
    .join('\n')}\n-----END PRIVATE KEY-----\n`
}
const t0 = Date.now()
const keys = await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])
const ext = (ca) => [
  new x509.BasicConstraintsExtension(ca, undefined, true),
  new x509.KeyUsagesExtension(
    x509.KeyUsageFlags.digitalSignature |
      x509.KeyUsageFlags.keyEncipherment |
      x509.KeyUsageFlags.keyAgreement |
      (ca ? x509.KeyUsageFlags.keyCertSign : 0),
    true,
  ),
  new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
]
const cert = await x509.X509CertificateGenerator.createSelfSigned({
  serialNumber: '01',
  name: 'CN=fw-test',
  notBefore: new Date(Date.now() - 6e4),
  notAfter: new Date(Date.now() + 1e10),
  signingAlgorithm: alg,
  keys,
  extensions: ext(true),
})
const caKeys = await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])
const ca = await x509.X509CertificateGenerator.createSelfSigned({
  serialNumber: '02',
  name: 'CN=repl-ca',
  notBefore: new Date(Date.now() - 6e4),
  notAfter: new Date(Date.now() + 1e10),
  signingAlgorithm: alg,
  keys: caKeys,
  extensions: ext(true),
})
const cKeys = await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])
const ccert = await x509.X509CertificateGenerator.create({
  serialNumber: '03',
  subject: 'CN=dc2',
  issuer: ca.subject,
  notBefore: new Date(Date.now() - 6e4),
  notAfter: new Date(Date.now() + 1e10),
  signingAlgorithm: alg,
  publicKey: cKeys.publicKey,
  signingKey: caKeys.privateKey,
  extensions: ext(false),
})
console.log('gen ms', Date.now() - t0)
const server = tls.createServer({
  key: await pemKey(keys.privateKey),
  cert: cert.toString('pem'),
  ca: ca.toString('pem'),
  requestCert: true,
  rejectUnauthorized: true,
  minVersion: 'TLSv1.2',
  ALPNCallback: ({ protocols }) => {
    console.log('srv alpn offered', protocols)
    return protocols.includes('replication_dr_v1') ? 'replication_dr_v1' : undefined
  },
})
server.on('secureConnection', (s) => {
  console.log('srv secureConnection alpn', s.alpnProtocol, s.getPeerCertificate().subject)
  s.write('hi\n')
})
server.on('connection', (c) => {
  const t = Date.now()
  c.on('close', () => console.log('srv raw close', Date.now() - t))
})
server.on('tlsClientError', (e) => console.log('srv tlsClientError', e.code, e.message))
await new Promise((r) => server.listen(0, '127.0.0.1', r))
const port = server.address().port
function probe(name, opts) {
  return new Promise((res) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts })
    s.on('secureConnect', () =>
      console.log(
        name,
        'secureConnect',
        s.alpnProtocol,
        s.getPeerCertificate().fingerprint256?.slice(0, 20),
        s.getProtocol(),
      ),
    )
    s.on('data', (d) => console.log(name, 'data', String(d).trim()))
    s.on('error', (e) => console.log(name, 'error', e.code, e.message))
    s.on('close', () => {
      console.log(name, 'close')
      res()
    })
    setTimeout(() => s.destroy(), 1500)
  })
}
await probe('nocert', { ALPNProtocols: ['replication_dr_v1'] })
await probe('h2', { ALPNProtocols: ['h2'] })
await probe('noalpn', {})
await probe('good', {
  ALPNProtocols: ['replication_dr_v1'],
  key: await pemKey(cKeys.privateKey),
  cert: ccert.toString('pem'),
  ca: cert.toString('pem'),
  rejectUnauthorized: true,
  checkServerIdentity: () => undefined,
})
await probe('selfmade', {
  ALPNProtocols: ['replication_dr_v1'],
  key: await pemKey(keys.privateKey),
  cert: cert.toString('pem'),
})
await probe('good-noalpn', { key: await pemKey(cKeys.privateKey), cert: ccert.toString('pem') })
server.close()
