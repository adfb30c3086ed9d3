import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { PAGE_HTML } from './page-html.ts'
import { PAGE_SCRIPT } from './page-script.ts'
import { PAGE_CSS } from './page-style.ts'

/**
 * Same origin only, nothing inline: the page's own script and style, and its fetch() calls to /v1. No frames, no
 * forms posting elsewhere, no base URL to rewrite.
 */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

interface Asset {
  body: string
  type: string
  etag: string
}

const asset = (body: string, type: string): Asset => ({
  body,
  type,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
})

/** The page's files, kept in the bundle as strings so they are found whether the gateway runs from src or dist. */
export const STATUS_PAGE_ASSETS: Record<string, Asset> = {
  '/ui': asset(PAGE_HTML, 'text/html; charset=utf-8'),
  '/ui/status-page.css': asset(PAGE_CSS, 'text/css; charset=utf-8'),
  '/ui/status-page.js': asset(PAGE_SCRIPT, 'text/javascript; charset=utf-8'),
}

/**
 * The read-only status page at /ui, static and open like /docs (out of the OpenAPI document, as /docs is): every
 * figure on it comes from /v1 calls made with the token the visitor types in (the read token: VAULT_DR_READ_TOKEN).
 */
export async function statusPage(app: FastifyInstance) {
  app.get('/ui/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/ui', 301))
  for (const [url, file] of Object.entries(STATUS_PAGE_ASSETS)) {
    app.get(url, { schema: { hide: true } }, async (request, reply) => {
      reply
        .header('content-type', file.type)
        .header('content-security-policy', STATUS_PAGE_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cross-origin-resource-policy', 'same-origin')
        .header('cache-control', 'no-cache')
        .header('etag', file.etag)
      if (request.headers['if-none-match'] === file.etag) return reply.code(304).send()
      return file.body
    })
  }
}
