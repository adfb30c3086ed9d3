import { sourceOf } from './request-fields.ts'

/**
 * Fixes in the CLI's own words. The gateway's fix texts are written for its HTTP API (routes, bodies, operationIds);
 * an operator at the CLI is told the command or variable to use instead. Codes not listed keep the gateway's fix.
 */
export const CLI_FIXES: Record<string, string> = {
  CORE_ERR_UNAUTHORIZED:
    "Set VAULT_DR_API_TOKEN_FILE (or VAULT_DR_API_TOKEN) to the gateway's API token, the one in its VAULT_DR_API_TOKEN(_FILE).",
  CORE_ERR_READ_ONLY_TOKEN:
    "The token given only reads: set VAULT_DR_API_TOKEN_FILE (or VAULT_DR_API_TOKEN) to the gateway's API token, not its read token, for a command that changes something.",
  CORE_ERR_VALIDATION: 'Correct the options named above; --help after the command describes each one.',
  GATEWAY_ERR_CLUSTER_NOT_FOUND:
    'List the registered clusters with "vault-dr clusters list", or register it with "vault-dr clusters add <name> --role primary|secondary --agent-url <url>".',
  GATEWAY_ERR_UNKNOWN_CLUSTER:
    'Register the cluster first ("vault-dr clusters add <name> --role primary|secondary --agent-url <url>"), then name it exactly as "vault-dr clusters list" shows it.',
  GATEWAY_ERR_CLUSTER_IN_USE:
    'Wait for the unfinished handshake or operation on it to end, or cancel it ("vault-dr operations cancel <id>"): "vault-dr operations list --cluster <name>" lists it first, with its id.',
  GATEWAY_ERR_AGENT_URL_IN_USE:
    'An agent serves one cluster: give each cluster its own agent\'s --agent-url ("vault-dr clusters list" shows which cluster has this one). If the agent now serves this cluster instead, "vault-dr clusters remove <name>" the other one first.',
  GATEWAY_ERR_HANDSHAKE_NOT_FOUND: 'List the handshakes with "vault-dr handshake list".',
  GATEWAY_ERR_HANDSHAKE_IN_PROGRESS:
    'Follow the running handshake ("vault-dr handshake follow <id>") or cancel it ("vault-dr handshake cancel <id>") before starting another; "vault-dr handshake list --state running" shows its id.',
  GATEWAY_ERR_HANDSHAKE_FINISHED:
    'Only a pending or running handshake can be cancelled; start a new one with "vault-dr handshake start" if needed.',
  GATEWAY_ERR_TOKEN_TTL_TOO_SHORT:
    "Pass a longer --ttl (e.g. 5m): it must be longer than the gateway's VAULT_DR_TOKEN_MIN_REMAINING_MS (30 s by default). Without --ttl, the gateway's VAULT_DR_TOKEN_TTL is used: raise that.",
  GATEWAY_ERR_AGENT_UNAUTHORIZED:
    "Register the cluster again with the agent's own token (the agent's VAULT_DR_API_TOKEN): VAULT_DR_AGENT_TOKEN_FILE=<file> vault-dr clusters add <name> --role primary|secondary --agent-url <url>.",
  GATEWAY_ERR_STORE_KEY_MISMATCH:
    'The gateway\'s store key changed (VAULT_DR_STORE_KEY, or VAULT_DR_API_TOKEN when that is unset): restore it, or register the cluster again with "vault-dr clusters add".',
  GATEWAY_ERR_SECONDARY_ID_NOT_OURS:
    'If no DR secondary uses the id any more, revoke it on the primary ("vault write sys/replication/dr/primary/revoke-secondary id=<id>" with the Vault CLI) and start the handshake again; otherwise pass another --secondary-id.',
  GATEWAY_ERR_SECONDARY_ID_IN_USE:
    'Pass another --secondary-id, or revoke that id on the primary deliberately ("vault write sys/replication/dr/primary/revoke-secondary id=<id>"; it cuts off the secondary using it) and start again.',
  SECONDARY_ERR_CLUSTER_PORT:
    'Open tcp/8201 from the secondary to every primary node\'s cluster_addr; a load balancer on 8201 must be TCP passthrough (no TLS termination) and route only to the active node. "vault-dr preflight --primary <name> --secondary <name>" probes them from the secondary. The token was consumed: "vault-dr handshake start" mints a new one.',
  PRIMARY_ERR_SECONDARY_EXISTS:
    'Revoke the id first ("vault write sys/replication/dr/primary/revoke-secondary id=<id>" with the Vault CLI), or pass another --secondary-id.',
  GATEWAY_ERR_OPERATION_NOT_FOUND: 'List the operations with "vault-dr operations list".',
  GATEWAY_ERR_OPERATION_FINISHED:
    'Only a pending or running operation can be cancelled; "vault-dr operations show <id>" shows how it ended.',
  GATEWAY_ERR_CLUSTER_BUSY:
    'Wait for the operation named above to finish ("vault-dr operations follow <id>") or cancel it ("vault-dr operations cancel <id>"); "vault-dr operations list --state running" lists the unfinished ones.',
}

// Node's and OpenSSL's names of an untrusted, expired or self-signed certificate, in codes and messages.
const UNTRUSTED = /CERT|certificate|LEAF_SIGNATURE|SELF_SIGNED|ISSUER/

/** The agent-side TLS fixes, by what went wrong; undefined when `text` names no TLS failure. */
export function agentTlsFix(text: string): string | undefined {
  if (/ERR_SSL_WRONG_VERSION_NUMBER|EPROTO/.test(text)) {
    return 'Register the cluster with the agent_url scheme the agent serves: http:// unless the agent has VAULT_DR_TLS_CERT (vault-dr clusters add <name> --role primary|secondary --agent-url <url>).'
  }
  if (/ERR_TLS_CERT_ALTNAME_INVALID/.test(text)) {
    return "The agent's certificate does not name the host in agent_url: register the cluster with a name the certificate holds (vault-dr clusters add … --agent-url <url>), or reissue the certificate."
  }
  if (UNTRUSTED.test(text)) {
    return "Set the gateway's VAULT_DR_AGENT_CACERT to the PEM file of the CA that signed the agent's certificate, and restart the gateway."
  }
  return undefined
}

/**
 * The fix to print for a code: the CLI's wording where the gateway's speaks HTTP, the TLS fix when an agent could
 * not be reached over TLS (told by `context`, the upstream code or the detail), else the gateway's own.
 */
export function cliFix(code: string, gatewayFix: string | null | undefined, context = ''): string | null {
  if (code === 'GATEWAY_ERR_AGENT_UNREACHABLE') {
    const tls = agentTlsFix(context)
    if (tls !== undefined) return tls
  }
  const fix = CLI_FIXES[code] ?? gatewayFix
  return fix === undefined || fix === null ? null : withHolder(code, inCliWords(fix), context)
}

/** The refusals whose detail names the unfinished operation (or handshake) in the way, by id. */
const NAMES_HOLDER = new Set([
  'GATEWAY_ERR_CLUSTER_BUSY',
  'GATEWAY_ERR_CLUSTER_IN_USE',
  'GATEWAY_ERR_HANDSHAKE_IN_PROGRESS',
])

/** The fix's `<id>` (and `<name>`) filled from the detail, so that its commands can be run as printed. */
function withHolder(code: string, fix: string, detail: string): string {
  if (!NAMES_HOLDER.has(code)) return fix
  const id = /\b(?:Operation|Handshake) ([\w-]+) |\bunfinished \w+ ([\w-]+):/.exec(detail)
  const holder = id?.[1] ?? id?.[2]
  const cluster = /\bCluster ([\w.-]+) is part of\b/.exec(detail)?.[1]
  return fix
    .replaceAll('<id>', holder ?? '<id>')
    .replaceAll('--cluster <name>', cluster === undefined ? '--cluster <name>' : `--cluster ${cluster}`)
}

/** The gateway's routes and request fields its fixes name, and what an operator at the CLI types for each. */
const HTTP_TO_CLI: Array<[RegExp, string | ((found: string) => string)]> = [
  [/POST \/v1\/switchovers\/plan/g, '"vault-dr switchover --to <secondary> --dry-run"'],
  [/POST \/v1\/failovers\/plan/g, '"vault-dr failover --to <secondary> --dry-run"'],
  [/POST \/v1\/drills\/plan/g, '"vault-dr drill --to <secondary> --hold <duration> --dry-run"'],
  [/POST \/v1\/preflight/g, '"vault-dr preflight --primary <name> --secondary <name>"'],
  // The requests that create an operation (a cancelled one's fix says to send it again).
  [/POST \/v1\/handshakes\b/g, '"vault-dr handshake start --primary <name> --secondary <name>"'],
  [/POST \/v1\/switchovers\b/g, '"vault-dr switchover --to <secondary>"'],
  [/POST \/v1\/drills\b/g, '"vault-dr drill --to <secondary> --hold <duration>"'],
  [/POST \/v1\/failovers\b/g, '"vault-dr failover --to <secondary>"'],
  [/POST \/v1\/rejoins\b/g, '"vault-dr rejoin <old-primary>"'],
  [/GET \/v1\/pairs\/\{secondary\}(\/readiness)?/g, '"vault-dr pairs show <secondary>"'],
  [/GET \/v1\/pairs\/([\w-]+(?:\.[\w-]+)*)(\/readiness)?/g, '"vault-dr pairs show $1"'],
  [/GET \/v1\/pairs\b/g, '"vault-dr pairs list"'],
  [/GET \/v1\/clusters\/\{name\}(?!\/)/g, '"vault-dr clusters status <name>"'],
  [/GET \/v1\/operations\?kind=(\w+)/g, '"vault-dr operations list --kind $1"'],
  [/GET \/v1\/operations\?cluster=(<?[\w-]+>?)/g, '"vault-dr operations list --cluster $1"'],
  [/POST \/v1\/operations\/\{id\}\/cancel/g, '"vault-dr operations cancel <id>"'],
  [/DELETE \/v1\/clusters\/([\w-]+)/g, '"vault-dr clusters remove $1"'],
  [/\bagent_url\b/g, 'agent URL (vault-dr clusters add --agent-url)'],
  // Any other request field the CLI sets (down_for, max_lag_wals...): the option or variable that sets it.
  [/\b[a-z]+(?:_[a-z]+)+\b/g, (field) => sourceOf(field) ?? field],
  [/\bthe drill's hold\b/g, "the drill's --hold"],
  [/`(to|from)`/g, '--$1'],
]

/** A fix written for the gateway's HTTP API, in the CLI's words where it names a route or a field the CLI sets. */
export function inCliWords(fix: string): string {
  return HTTP_TO_CLI.reduce(
    (text, [http, cli]) => (typeof cli === 'string' ? text.replace(http, cli) : text.replace(http, cli)),
    fix,
  )
}

/**
 * A check's fix. A primary that is not a DR primary yet is the normal state before its first handshake: that
 * warning's fix (enable it, by its API path) is the handshake's own next step.
 */
export function checkFix(check: { status: string; code: string; fix: string | null; detail: string }): string | null {
  if (check.status === 'warn' && check.code === 'DR_NOT_ENABLED') {
    return 'Nothing to do before a handshake: its enable_primary step enables DR on the primary, then checks the cluster port again.'
  }
  return cliFix(check.code, check.fix, check.detail)
}
