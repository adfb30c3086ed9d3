import http from 'node:http'
import https from 'node:https'
import type { Socket } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import FindMyWay, { type HTTPMethod } from 'find-my-way'
import type { ClusterContext } from '../context.ts'
import { listenStable } from '../net/stable-port.ts'
import type { CertifiedKey } from '../replication/ca.ts'
import { VaultError } from '../vault-error.ts'
import {
  addLatency,
  checkAccess,
  holdWhileDropped,
  type RouteAccess,
  refuseWrapRequest,
  sendError,
  unknownPathError,
} from './access.ts'
import { drPrimaryRoutes } from './dr-primary.routes.ts'
import { drSecondaryRoutes } from './dr-secondary.routes.ts'
import { drSecondaryMaintenanceRoutes } from './dr-secondary-maintenance.routes.ts'
import { kvRoutes } from './kv.routes.ts'
import { policiesRoutes } from './policies.routes.ts'
import { raftRoutes } from './raft.routes.ts'
import { replicationMaintenanceRoutes } from './replication-maintenance.routes.ts'
import { replicationStatusRoutes } from './replication-status.routes.ts'
import { sysHealthRoutes } from './sys-health.routes.ts'
import { tokenRoutes } from './token.routes.ts'
import { wrappingRoutes } from './wrapping.routes.ts'

/** The API listener ("8200"). The node server is ours, so stop()/listen() can cycle it without rebuilding the app. */
export interface ApiListener {
  app: FastifyInstance
  server: http.Server
  listen(): Promise<void>
  stop(): Promise<void>
  /** Closes the connections of requests held while the site dropped packets. */
  releaseHeld(): void
  readonly port: number
  readonly listening: boolean
}

export async function createApiListener(ctx: ClusterContext, tlsCert: CertifiedKey | undefined): Promise<ApiListener> {
  let server: http.Server | undefined
  const app = Fastify({
    logger: false,
    routerOptions: { ignoreTrailingSlash: true },
    serverFactory: (handler) => {
      server = tlsCert
        ? (https.createServer({ cert: tlsCert.certPem, key: tlsCert.keyPem }, handler) as unknown as http.Server)
        : http.createServer(handler)
      return server
    },
  })
  app.decorateRequest('vaultToken', undefined)
  app.removeAllContentTypeParsers()
  // Vault reads every body as JSON whatever the Content-Type, and an empty body as no parameters.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body).trim()
    if (text === '') return done(null, {})
    try {
      done(null, JSON.parse(text))
    } catch (err) {
      done(new VaultError(400, `failed to parse JSON input: ${(err as Error).message}`), undefined)
    }
  })
  const held = new Set<Socket>()
  app.addHook('onRequest', async (request) => {
    await holdWhileDropped(ctx, request, held)
    await addLatency(ctx)
  })
  app.addHook('preHandler', async (request) => {
    checkAccess(ctx, request)
    refuseWrapRequest(request)
  })
  const served = servedPaths(app)
  app.setNotFoundHandler(async (request, reply) => sendError(reply, unknownPathError(ctx, served(request.url))))
  app.setErrorHandler(async (error, request, reply) => {
    if (error instanceof VaultError) return sendError(reply, error)
    const status = (error as { statusCode?: number }).statusCode ?? 500
    if (status < 500) return sendError(reply, new VaultError(status, (error as Error).message))
    ctx.log(`api: internal error on ${request.method} ${request.url.split('?')[0]}: ${(error as Error).message}`)
    return sendError(reply, new VaultError(500, 'internal error'))
  })

  for (const routes of [
    sysHealthRoutes,
    replicationStatusRoutes,
    drPrimaryRoutes,
    drSecondaryRoutes,
    drSecondaryMaintenanceRoutes,
    wrappingRoutes,
    policiesRoutes,
    tokenRoutes,
    raftRoutes,
    kvRoutes,
    replicationMaintenanceRoutes,
  ]) {
    await app.register(routes, { ctx })
  }
  await app.ready()
  if (!server) throw new Error('fastify did not create the API server')
  const node: http.Server = server
  let port = ctx.options.api.port
  const releaseHeld = () => {
    for (const socket of held) socket.destroy()
    held.clear()
  }

  return {
    app,
    server: node,
    get port() {
      return port
    },
    get listening() {
      return node.listening
    },
    async listen() {
      if (node.listening) return
      port = await listenStable(node, ctx.options.api.host, port)
    },
    releaseHeld,
    async stop() {
      releaseHeld()
      if (!node.listening) return
      const closed = new Promise<void>((resolve) => node.close(() => resolve()))
      node.closeAllConnections()
      await closed
    },
  }
}

/**
 * The access rule of a route serving `url`'s path under any method, from a router fed the routes as they are added
 * (Fastify's not-found handler also gets a known path asked with a method it is not served under).
 */
function servedPaths(app: FastifyInstance): (url: string) => RouteAccess | undefined {
  const router = FindMyWay()
  app.addHook('onRoute', (route) => {
    router.on(route.method as HTTPMethod | HTTPMethod[], route.url, () => {}, route.config?.access ?? { auth: 'token' })
  })
  return (url) => {
    const path = url.split('?')[0] ?? ''
    for (const method of http.METHODS) {
      const found = router.find(method as HTTPMethod, path)
      if (found !== null) return found.store as RouteAccess
    }
    return undefined
  }
}
