import type { Socket } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { type ClusterContext, isLeaderless, isSealed } from '../context.ts'
import { authorizeDrOperation, authorizeDrToken } from '../dr/dr-operation-token.ts'
import {
  ERR_ENTERPRISE_ONLY,
  ERR_PATH_DISABLED_DR_SECONDARY,
  ERR_PERMISSION_DENIED,
  ERR_SEALED,
  ERR_UNSUPPORTED_OPERATION,
} from '../messages.ts'
import { isSecondaryMode } from '../state.ts'
import type { Capability } from '../tokens/acl.ts'
import type { TokenEntry } from '../tokens/token-store.ts'
import { forbidden, internalError, notEmulated, notFound, unavailable, VaultError } from '../vault-error.ts'
import { bodyOf } from './envelope.ts'

/** Per-route access rules, mirroring Vault's special-path lists. */
export interface RouteAccess {
  /** 'none' = in Vault's unauthenticated list. */
  auth: 'none' | 'token'
  /** Needs the `sudo` capability on top of the operation's own. */
  sudo?: boolean
  /** Answers while sealed (health, seal-status). */
  whileSealed?: boolean
  /** Answered by a node while there is no active node (health, seal-status, leader, the status paths). */
  whileLeaderless?: boolean
  /** Allowed on a DR secondary (status paths and the DR-secondary control paths). */
  onDrSecondary?: boolean
  /** Stubbed in Community Edition: 404 enterprise-only feature. */
  enterpriseOnly?: boolean
  /** An Enterprise path that Community Edition neither serves nor stubs: 404 unsupported path there. */
  absentInCommunity?: boolean
  /**
   * Allowed on a DR secondary with a DR operation token as the credential instead of a client token: 'header' reads
   * it from X-Vault-Token (`operator raft autopilot state -dr-token`), 'body' from `dr_operation_token`.
   */
  drTokenOnSecondary?: 'header' | 'body'
  /**
   * An unauthenticated DR-secondary path that still checks an X-Vault-Token sent to a cluster that is not a DR
   * secondary: an unknown one is refused with 403 (hashicorp/vault#19603).
   */
  checksClientTokenOffSecondary?: boolean
  /**
   * How the route meets X-Vault-Wrap-TTL, which asks Vault to wrap the response (§4). By default 501: vault-sim wraps
   * no response on request. 'wraps': the route answers wrap_info by design. 'raw': Vault serves the path outside its
   * logical layer with a raw JSON body, which it never wraps (`http/handler.go`: health, seal-status, leader, unseal,
   * the generate-root handlers the DR ceremony reuses), so the header is ignored as Vault ignores it.
   */
  wrapTtl?: 'wraps' | 'raw'
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess
  }
  interface FastifyRequest {
    vaultToken: TokenEntry | undefined
  }
}

export const unauthenticated: RouteAccess = { auth: 'none' }

/** onRequest: the fault-injected latency, added to every response. */
export async function addLatency(ctx: ClusterContext): Promise<void> {
  if (ctx.runtime.latencyMs > 0) await delay(ctx.runtime.latencyMs)
}

/**
 * onRequest: a site that drops packets never answers. The request waits until the site is back, when its connection
 * is closed (held requests are in `held`), as a client's connection through a dropping firewall would be dead.
 */
export function holdWhileDropped(ctx: ClusterContext, request: FastifyRequest, held: Set<Socket>): Promise<void> {
  if (ctx.runtime.isolation !== 'drop') return Promise.resolve()
  held.add(request.raw.socket)
  return new Promise(() => {})
}

/** preHandler: the checks Vault runs before any handler, in its order. */
export function checkAccess(ctx: ClusterContext, request: FastifyRequest): void {
  if (request.is404) return // the not-found handler answers with unknownPathError
  const access = request.routeOptions.config.access ?? { auth: 'token' }
  if (!access.whileSealed && isSealed(ctx)) throw sealedError(ctx)
  if (!access.whileLeaderless && isLeaderless(ctx)) throw internalError(ctx.options.compat.messages.noActiveNode)
  if (access.enterpriseOnly && !ctx.runtime.enterprise) throw notFound(ERR_ENTERPRISE_ONLY)
  if (access.absentInCommunity && !ctx.runtime.enterprise) throw notFound(ctx.options.compat.messages.unsupportedPath)
  if (isSecondaryMode(ctx.dr) && access.drTokenOnSecondary) {
    const path = vaultPath(request)
    const capabilities = operationCapabilities(request.method, path)
    if (access.drTokenOnSecondary === 'body') authorizeDrOperation(ctx, bodyOf(request.body), path, capabilities)
    else authorizeDrToken(ctx, clientToken(request) ?? '', path, capabilities)
    return
  }
  if (isSecondaryMode(ctx.dr) && !access.onDrSecondary) throw new VaultError(400, ERR_PATH_DISABLED_DR_SECONDARY)
  if (access.auth === 'none') {
    const sent = clientToken(request)
    const offSecondary = access.checksClientTokenOffSecondary && !isSecondaryMode(ctx.dr)
    if (offSecondary && sent !== undefined && !ctx.tokens.lookup(sent)) throw forbidden(ERR_PERMISSION_DENIED)
    return
  }
  const entry = ctx.tokens.lookup(clientToken(request) ?? '')
  if (!entry || !isAllowed(ctx, entry, vaultPath(request), request.method, access.sudo)) {
    throw forbidden(ERR_PERMISSION_DENIED)
  }
  request.vaultToken = entry
}

/**
 * Unknown paths: sealed → 503, DR secondary → 400 path disabled, else 404 unsupported path. A path served under
 * other methods only (`other`, its access rule) is an unsupported operation, 405, once the checks before routing
 * (seal, active node, the DR-secondary lockdown) let it through.
 */
export function unknownPathError(ctx: ClusterContext, served?: RouteAccess): VaultError {
  const other = served?.absentInCommunity && !ctx.runtime.enterprise ? undefined : served
  if (isSealed(ctx) && !(other?.whileSealed ?? false)) return sealedError(ctx)
  if (isLeaderless(ctx) && !(other?.whileLeaderless ?? false)) {
    return internalError(ctx.options.compat.messages.noActiveNode)
  }
  const allowedOnSecondary =
    other !== undefined && (other.onDrSecondary === true || other.drTokenOnSecondary !== undefined)
  if (isSecondaryMode(ctx.dr) && !allowedOnSecondary) return new VaultError(400, ERR_PATH_DISABLED_DR_SECONDARY)
  if (other !== undefined) return new VaultError(405, ERR_UNSUPPORTED_OPERATION)
  return notFound(ctx.options.compat.messages.unsupportedPath)
}

/**
 * preHandler, once the access checks passed: a request asking for a wrapped response (a non-empty X-Vault-Wrap-TTL,
 * as Vault ignores an empty one) gets 501 rather than its data in clear, unless the route wraps or Vault ignores it.
 */
export function refuseWrapRequest(request: FastifyRequest): void {
  if (request.is404 || request.routeOptions.config.access?.wrapTtl !== undefined) return
  if (wrapTtlRequested(request)) throw notEmulated()
}

export function wrapTtlRequested(request: FastifyRequest): boolean {
  const header = request.headers['x-vault-wrap-ttl']
  return typeof header === 'string' && header.trim() !== ''
}

/** Sealed, or inside the brief unavailability after a role change. */
function sealedError(ctx: ClusterContext): VaultError {
  return unavailable(ctx.runtime.sealed ? ERR_SEALED : ctx.options.compat.messages.restartUnavailable)
}

export function clientToken(request: FastifyRequest): string | undefined {
  const header = request.headers['x-vault-token']
  if (typeof header === 'string' && header !== '') return header
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')
  return bearer?.[1]
}

/** The logical path Vault's ACLs see: without `/v1/`, the query string and a trailing slash. */
function vaultPath(request: FastifyRequest): string {
  return (request.url.split('?')[0] ?? '').replace(/^\/v1\//, '').replace(/\/+$/, '')
}

export function isAllowed(ctx: ClusterContext, entry: TokenEntry, path: string, method: string, sudo = false): boolean {
  const caps = ctx.tokens.capabilities(entry, path)
  if (caps === 'root') return true
  if (caps.has('deny') || (sudo && !caps.has('sudo'))) return false
  return operationCapabilities(method, path).some((cap) => caps.has(cap))
}

export function operationCapabilities(method: string, path: string): Capability[] {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return ['read']
    case 'DELETE':
      return ['delete']
    case 'LIST':
      return ['list']
    default:
      // Vault picks create or update by an existence check; paths without one, such as every replication path,
      // are always update. Elsewhere either grants a write here.
      return path.startsWith('sys/replication/') ? ['update'] : ['create', 'update']
  }
}

export async function sendError(reply: FastifyReply, error: VaultError): Promise<void> {
  await reply.code(error.status).send({ errors: error.errors })
}
