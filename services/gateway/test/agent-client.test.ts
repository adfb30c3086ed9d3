import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type CodedError, isCodedError } from '@vault-dr/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AgentClients, clusterAgent, createAgentClients } from '../src/agents/agent-clients.ts'
import { toStepError } from '../src/operations/step.ts'
import { agentFailure } from '../src/preflight/cluster-checks.ts'

const TOKEN = 'agent-token-under-test-0123456789'

/** A stand-in agent: answers by path, and counts what it was asked. */
function fakeAgent(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const seen: Array<{
    method: string
    url: string
    auth: string | undefined
    contact?: string | undefined
    body: string
  }> = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      const mark = req.headers['x-vault-dr-contact'] as string | undefined
      const within = req.headers['x-vault-dr-contact-within-ms'] as string | undefined
      const contact = mark === undefined ? undefined : `${mark} within ${within}`
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, contact, body })
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return problem(res, 401, 'CORE_ERR_UNAUTHORIZED', 'no')
      handler(req, res, body)
    })
  })
  return { server, seen }
}

function problem(res: ServerResponse, status: number, code: string, detail: string) {
  res.writeHead(status, { 'content-type': 'application/problem+json' })
  res.end(JSON.stringify({ type: 'x', title: 't', status, detail, code, instance: 'req-1', fix: `fix for ${code}` }))
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function failure(promise: Promise<unknown>): Promise<CodedError> {
  try {
    await promise
  } catch (err) {
    if (isCodedError(err)) return err
    throw err
  }
  throw new Error('expected a failure')
}

describe('agent clients (OpenAPI-typed, over undici)', () => {
  let statusCalls = 0
  let demoteCalls = 0
  const agent = fakeAgent((req, res) => {
    if (req.url?.split('?')[0] === '/v1/status') {
      statusCalls++
      if (statusCalls <= 2) return problem(res, 503, 'PRIMARY_ERR_VAULT_UNAVAILABLE', 'starting')
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(
        JSON.stringify({ vault: { reachable: true }, replication: null, checked_at: new Date().toISOString() }),
      )
    }
    if (req.url === '/v1/dr/primary/secondary-token') return problem(res, 503, 'PRIMARY_ERR_VAULT_UNAVAILABLE', 'busy')
    const path = req.url?.split('?')[0]
    if (path === '/v1/dr/primary/demote' && ++demoteCalls === 1)
      return problem(res, 409, 'AGENT_ERR_OPERATION_IN_FLIGHT', 'A demote asked for earlier is still under way')
    if (path === '/v1/dr/primary/demote') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ changed: false, detail: 'already a DR secondary', warnings: [], status: {} }))
    }
    if (path === '/v1/dr/secondary/generate-public-key')
      return problem(
        res,
        409,
        'AGENT_ERR_OPERATION_IN_FLIGHT',
        'An update-primary asked for earlier is still under way',
      )
    if (req.url === '/v1/dr/primary/revoke-secondary')
      return problem(res, 409, 'PRIMARY_ERR_NOT_PRIMARY', 'not primary')
    // /v1/probes/local: never answers
  })
  let url: string
  let clients: AgentClients
  beforeAll(async () => {
    url = await listen(agent.server)
    clients = createAgentClients({ timeoutMs: 300 })
  })
  afterAll(async () => {
    await clients.close()
    agent.server.closeAllConnections()
    await new Promise((resolve) => agent.server.close(resolve))
  })

  it('sends the bearer token and retries an idempotent call on 503', async () => {
    const status = await clients.primary({ cluster: 'dc1', url, token: TOKEN }).status()
    expect(status.replication).toBeNull()
    expect(statusCalls).toBe(3)
    expect(agent.seen.every((s) => s.auth === `Bearer ${TOKEN}`)).toBe(true)
  })

  it('marks a status read as quorum contact only when asked to', async () => {
    const dc1 = clusterAgent(clients, { cluster: 'dc1', url, token: TOKEN })
    const from = agent.seen.length
    await dc1.status(undefined, { quorumContact: { withinMs: 2000 } })
    await dc1.status()
    const [marked, plain] = agent.seen.slice(from).map((s) => s.contact)
    expect(plain).toBeUndefined()
    // The time its answer may still take when it left: at most the 2 s asked.
    const within = Number(/^quorum within (\d+)$/.exec(marked ?? '')?.[1])
    expect(within).toBeGreaterThan(0)
    expect(within).toBeLessThanOrEqual(2_000)
  })

  it('asks a demote again after a busy answer (it reads the cluster in its turn), never the public key', async () => {
    const dc1 = clusterAgent(clients, { cluster: 'dc1', url, token: TOKEN })
    expect(await dc1.demote({}, { epoch: 3 })).toMatchObject({ changed: false })
    expect(demoteCalls).toBe(2)
    const before = agent.seen.length
    const err = await failure(dc1.generatePublicKey({ epoch: 3 }))
    // The step that asked it must read the cluster again before anything else: the busy answer goes to it.
    expect(agent.seen.length - before).toBe(1)
    expect(err.upstream).toMatchObject({ status: 409, code: 'AGENT_ERR_OPERATION_IN_FLIGHT' })
  })

  it('never retries a mint, and keeps the agent code in upstream', async () => {
    const before = agent.seen.length
    const err = await failure(
      clients.primary({ cluster: 'dc1', url, token: TOKEN }).mintToken({ secondary_id: 'dc2', ttl: '5m' }),
    )
    expect(agent.seen.length - before).toBe(1)
    expect(err.code).toBe('GATEWAY_ERR_AGENT_FAILED')
    expect(err.upstream).toMatchObject({ service: 'primary-agent', status: 503, code: 'PRIMARY_ERR_VAULT_UNAVAILABLE' })
    expect(err.fix).toBe('fix for PRIMARY_ERR_VAULT_UNAVAILABLE')
    expect(JSON.parse(agent.seen.at(-1)?.body ?? '{}')).toEqual({ secondary_id: 'dc2', ttl: '5m' })
  })

  it('maps a refusal, a wrong token, a timeout and a closed port, never echoing the token', async () => {
    const primary = clients.primary({ cluster: 'dc1', url, token: TOKEN })
    const refused = await failure(primary.revoke('dc2'))
    expect(refused).toMatchObject({
      code: 'GATEWAY_ERR_AGENT_REJECTED',
      upstream: { code: 'PRIMARY_ERR_NOT_PRIMARY', status: 409 },
    })
    const wrong = await failure(clients.primary({ cluster: 'dc1', url, token: 'wrong-token-0123456789' }).revoke('dc2'))
    expect(wrong.code).toBe('GATEWAY_ERR_AGENT_UNAUTHORIZED')
    const slow = await failure(primary.probeLocal())
    expect(slow.code).toBe('GATEWAY_ERR_AGENT_TIMEOUT')
    const closed = await failure(
      clients.secondary({ cluster: 'dc2', url: 'http://127.0.0.1:1', token: TOKEN }).status(),
    )
    expect(closed.code).toBe('GATEWAY_ERR_AGENT_UNREACHABLE')
    for (const err of [refused, wrong, slow, closed]) {
      expect(`${err.message} ${JSON.stringify(err.upstream)}`).not.toContain(TOKEN)
    }
    // What an operation's failed step says: the agent's documented code, else ours, never a library's.
    expect(toStepError(refused).code).toBe('PRIMARY_ERR_NOT_PRIMARY')
    expect(toStepError(slow)).toMatchObject({ code: 'GATEWAY_ERR_AGENT_TIMEOUT', fix: slow.fix })
    expect(toStepError(closed)).toMatchObject({ code: 'GATEWAY_ERR_AGENT_UNREACHABLE', fix: closed.fix })
    // And what a preflight check says of an agent it could not ask.
    expect(agentFailure('secondary_agent', 'gateway', closed, 'preflight').code).toBe('GATEWAY_ERR_AGENT_UNREACHABLE')
    expect(agentFailure('primary_agent', 'gateway', refused, 'preflight').code).toBe('PRIMARY_ERR_NOT_PRIMARY')
  })

  it('an agent token no header can carry (stored before registration refused one): neither the error nor its cause quotes it', async () => {
    const unsendable = `${TOKEN}\nsecond-line`
    const err = await failure(clients.primary({ cluster: 'dc1', url, token: unsendable }).status())
    expect(err.code).toBe('GATEWAY_ERR_AGENT_UNREACHABLE')
    expect(err.message).toContain('<redacted>')
    // What the error handler logs of a 5xx: the error, its cause chain included.
    const logged = [err.message, JSON.stringify(err.upstream)]
    for (let c: unknown = err.cause; c instanceof Error; c = c.cause) logged.push(c.message)
    expect(logged.join(' ')).not.toContain(TOKEN)
  })
})
