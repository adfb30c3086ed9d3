const HANDSHAKE_RECORD = 0x16
const CLIENT_HELLO = 0x01
const ALPN_EXTENSION = 0x0010

/**
 * The ALPN protocols offered by the TLS ClientHello at the start of `bytes` (an empty list when it offers none):
 * undefined while its first record is incomplete, null when the bytes are not a TLS ClientHello. Reads the first
 * record only, synchronously: the cluster listener needs the ALPN offer before any TLS answer, on every connection.
 */
export function offeredAlpn(bytes: Buffer): string[] | null | undefined {
  if (bytes.length >= 1 && bytes[0] !== HANDSHAKE_RECORD) return null
  if (bytes.length < 5) return undefined
  const recordEnd = 5 + bytes.readUInt16BE(3)
  if (bytes.length < recordEnd) return undefined
  const hello = bytes.subarray(5, recordEnd)
  if (hello[0] !== CLIENT_HELLO) return null
  try {
    return alpnOf(hello)
  } catch {
    return null // a field runs past the record: not a ClientHello we can read
  }
}

function alpnOf(hello: Buffer): string[] {
  let at = 4 + 2 + 32 // message type and length, legacy version, random
  at += 1 + hello.readUInt8(at) // session id
  at += 2 + hello.readUInt16BE(at) // cipher suites
  at += 1 + hello.readUInt8(at) // compression methods
  if (at >= hello.length) return []
  const end = Math.min(at + 2 + hello.readUInt16BE(at), hello.length)
  at += 2
  while (at + 4 <= end) {
    const type = hello.readUInt16BE(at)
    const length = hello.readUInt16BE(at + 2)
    at += 4
    if (type === ALPN_EXTENSION) return protocolList(hello.subarray(at, at + length))
    at += length
  }
  return []
}

function protocolList(extension: Buffer): string[] {
  const protocols: string[] = []
  const end = 2 + extension.readUInt16BE(0)
  for (let at = 2; at < end; ) {
    const length = extension.readUInt8(at)
    if (at + 1 + length > extension.length) throw new RangeError('ALPN protocol past the extension')
    protocols.push(extension.toString('latin1', at + 1, at + 1 + length))
    at += 1 + length
  }
  return protocols
}
