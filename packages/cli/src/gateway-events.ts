import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'

/** What opening an operation's event stream gave: the stream, or the gateway's problem+json. */
export type EventsAnswer =
  | { status: 200; body: AsyncIterable<Uint8Array> }
  | { status: number; problem: unknown; retryAfter?: string | undefined }

export type OpenEvents = (id: string, lastEventId: string | undefined, signal: AbortSignal) => Promise<EventsAnswer>

// The gateway sends a keep-alive every 15 s; a stream silent for longer than this is taken as lost and reopened.
const SILENT_STREAM_MS = 45_000

/**
 * Opens GET /v1/operations/{id}/events (server-sent events), resuming after `lastEventId`. The generated client reads
 * whole bodies, so the stream is a plain node:http(s) request; the token stays in this closure.
 */
export function createEventsOpener(baseUrl: string, token: string, caPem?: string): OpenEvents {
  return (id, lastEventId, signal) =>
    new Promise((resolve, reject) => {
      const url = new URL(`${baseUrl.replace(/\/+$/, '')}/v1/operations/${encodeURIComponent(id)}/events`)
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest
      const req = send(url, {
        method: 'GET',
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'text/event-stream, application/problem+json',
          ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }),
        },
        ...(caPem === undefined ? {} : { ca: caPem }),
        signal,
        timeout: SILENT_STREAM_MS,
      })
      req.on('timeout', () => req.destroy(new Error(`the event stream was silent for ${SILENT_STREAM_MS / 1000} s`)))
      req.on('error', reject)
      req.on('response', (res: IncomingMessage) => {
        if (res.statusCode === 200) {
          resolve({ status: 200, body: res })
          return
        }
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          text += chunk
        })
        res.on('error', reject)
        const retryAfter = res.headers['retry-after']
        res.on('end', () => resolve({ status: res.statusCode ?? 0, problem: parseJson(text), retryAfter }))
      })
      req.end()
    })
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export interface ServerSentEvent {
  id: string | undefined
  event: string
  data: string
}

/** The events of a text/event-stream body, as they arrive (comments, the keep-alives, skipped). */
export async function* serverSentEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n')
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const event = parseBlock(block)
      if (event !== undefined) yield event
    }
  }
}

function parseBlock(block: string): ServerSentEvent | undefined {
  let id: string | undefined
  let event = 'message'
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'id') id = value
    else if (field === 'event') event = value
    else if (field === 'data') data.push(value)
  }
  return data.length === 0 && id === undefined ? undefined : { id, event, data: data.join('\n') }
}
