import type { DestinationStream, LoggerOptions } from 'pino'

/** Paths pino blanks out: credentials in headers, and any field that holds a token or key, at any depth we log. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-vault-token"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...[
    'token',
    'agent_token',
    'api_token',
    'client_token',
    'dr_operation_token',
    'secret',
    'password',
    'private_key',
    'apiToken',
    'jti',
    'key',
    'client_key',
    'keyPem',
    'clientKeyPem',
  ].flatMap((field) => [field, `*.${field}`, `*.*.${field}`, `*.*.*.${field}`]),
]

export interface LoggerSettings {
  level: string
  stream?: DestinationStream | undefined
}

export function loggerOptions({ level, stream }: LoggerSettings): LoggerOptions & { stream?: DestinationStream } {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    ...(stream === undefined ? {} : { stream }),
  }
}
