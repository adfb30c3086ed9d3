/**
 * The page's calls to the gateway, in the browser's JavaScript: the token is kept in this tab's sessionStorage and
 * sent only as an Authorization header, so never in a URL (which is why the event stream is read with fetch: an
 * EventSource cannot send the header).
 */
export const API_SCRIPT = String.raw`
const TOKEN_KEY = 'vault-dr.gateway-token'
let token = sessionStorage.getItem(TOKEN_KEY)

const API_TIMEOUT_MS = 10000
const PLAN_TIMEOUT_MS = 35000

class Refused extends Error {}

const authHeaders = (extra) => Object.assign({ authorization: 'Bearer ' + token }, extra)

/**
 * A JSON read; null when the route is not there (a gateway without the pairs API). With a body it is a POST, used
 * only for questions that change nothing (the failover plan); a refusal's problem detail becomes the error.
 */
async function api(path, body, timeoutMs = API_TIMEOUT_MS) {
  // Bounded: a read that never answers would hold the page's refresh (and one of the browser's few sockets) for good.
  const init = { headers: authHeaders({ accept: 'application/json' }), cache: 'no-store', signal: AbortSignal.timeout(timeoutMs) }
  if (body !== undefined) Object.assign(init, { method: 'POST', body: JSON.stringify(body),
    headers: authHeaders({ accept: 'application/json', 'content-type': 'application/json' }) })
  const res = await fetch(path, init)
  if (res.status === 401) throw new Refused('The gateway refused the token')
  if (res.status === 404 && body === undefined) return null
  if (!res.ok) {
    const problem = await res.json().catch(() => null)
    throw new Error(problem && problem.detail ? problem.detail : path.split('?')[0] + ' answered ' + res.status)
  }
  return res.json()
}

function parseEvent(block) {
  const event = { type: 'message', data: '', id: null }
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'event') event.type = value
    else if (field === 'data') event.data += (event.data ? '\n' : '') + value
    else if (field === 'id') event.id = value
  }
  return event
}

/**
 * Follows one operation's server-sent events (any kind, handshakes included), calling onEvent(type, data) for each,
 * until the stream ends or the signal aborts. Resolves true once the 'done' event came.
 */
async function followEvents(id, signal, onEvent) {
  const res = await fetch('/v1/operations/' + encodeURIComponent(id) + '/events', {
    headers: authHeaders({ accept: 'text/event-stream' }),
    cache: 'no-store',
    signal,
  })
  if (res.status === 401) throw new Refused('The gateway refused the token')
  if (!res.ok || !res.body) throw new Error('the event stream answered ' + res.status)
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  let done = false
  for (;;) {
    const chunk = await reader.read()
    if (chunk.done) return done
    buffer += chunk.value.replace(/\r\n?/g, '\n')
    let cut = buffer.indexOf('\n\n')
    while (cut >= 0) {
      const event = parseEvent(buffer.slice(0, cut))
      buffer = buffer.slice(cut + 2)
      if (event.data) {
        onEvent(event.type, JSON.parse(event.data))
        if (event.type === 'done') done = true
      }
      cut = buffer.indexOf('\n\n')
    }
  }
}
`
