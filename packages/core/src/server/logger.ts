import { type DestinationStream, destination, type LoggerOptions } from 'pino'

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

/** Log lines held in memory at most while stdout's reader lags, before lines are dropped rather than wait. */
const STDOUT_BUFFER_BYTES = 16 * 1024 * 1024

/**
 * Lines go to stdout asynchronously: a slow reader of the pipe (a busy journald or container runtime) must not
 * stall the service, as a synchronous write to a full pipe would. What is buffered is written out when the process
 * exits (pino flushes on exit); only a SIGKILL loses the last lines.
 */
export function stdoutDestination(): DestinationStream {
  return destination({ dest: 1, sync: false, maxLength: STDOUT_BUFFER_BYTES })
}

export function loggerOptions({ level, stream }: LoggerSettings): LoggerOptions & { stream: DestinationStream } {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    stream: stream ?? stdoutDestination(),
  }
}
