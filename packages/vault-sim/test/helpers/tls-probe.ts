import tls from 'node:tls'

export interface ProbeOptions {
  ALPNProtocols?: string[]
  cert?: string
  key?: string
  /** A line to send once the handshake completed (e.g. the replication hello). */
  send?: string
  timeoutMs?: number
}

export interface ProbeResult {
  secureConnect: boolean
  alpnProtocol: string | false | null
  fingerprint256: string | undefined
  protocol: string | null
  errorCode: string | undefined
  /** The first line the server sent, if any. */
  firstLine: string | undefined
}

/** Connects to a cluster port like a diagnostic client would, and reports what it saw until the server closed. */
export function probeClusterPort(clusterUrl: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  const { hostname, port } = new URL(clusterUrl)
  return new Promise((resolve) => {
    const result: ProbeResult = {
      secureConnect: false,
      alpnProtocol: null,
      fingerprint256: undefined,
      protocol: null,
      errorCode: undefined,
      firstLine: undefined,
    }
    const socket = tls.connect({
      host: hostname,
      port: Number(port),
      // A probe has no trust anchor for the self-signed cluster cert; it only looks.
      rejectUnauthorized: false,
      ...(options.ALPNProtocols && { ALPNProtocols: options.ALPNProtocols }),
      ...(options.cert && { cert: options.cert }),
      ...(options.key && { key: options.key }),
    })
    const timer = setTimeout(() => socket.destroy(), options.timeoutMs ?? 3_000)
    let buffered = ''
    socket.on('secureConnect', () => {
      result.secureConnect = true
      result.alpnProtocol = socket.alpnProtocol
      result.fingerprint256 = socket.getPeerCertificate().fingerprint256
      result.protocol = socket.getProtocol()
      if (options.send) socket.write(`${options.send}\n`)
    })
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const newline = buffered.indexOf('\n')
      if (newline >= 0 && result.firstLine === undefined) {
        result.firstLine = buffered.slice(0, newline)
        socket.destroy()
      }
    })
    socket.on('error', (err: Error & { code?: string }) => {
      result.errorCode = err.code
    })
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(result)
    })
  })
}
