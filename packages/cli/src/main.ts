import { parseArgs } from 'node:util'
import { ConfigError } from '@vault-dr/core'
import { addCluster, clusterStatus, listClusters } from './commands/clusters.ts'
import { cancelHandshake, listHandshakes, runPreflight, showHandshake, startHandshake } from './commands/handshakes.ts'
import { CliError, ExitCode } from './exit-codes.ts'
import { type GatewayApi, gatewayClientFromEnv } from './gateway-client.ts'
import { createOutput, type Output } from './output.ts'
import { USAGE } from './usage.ts'

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean' },
  follow: { type: 'boolean' },
  role: { type: 'string' },
  'agent-url': { type: 'string' },
  primary: { type: 'string' },
  secondary: { type: 'string' },
  'secondary-id': { type: 'string' },
  'primary-cluster-addr': { type: 'string' },
  'primary-api-addr': { type: 'string' },
  ttl: { type: 'string' },
  'no-inspect': { type: 'boolean' },
  'allow-repoint': { type: 'boolean' },
  'skip-check': { type: 'string', multiple: true },
  state: { type: 'string' },
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values']
type OptionName = keyof typeof OPTIONS

/** Options every command takes. */
const GLOBAL_OPTIONS: readonly OptionName[] = ['json', 'help']

/** What preflight and a handshake both take: the pair, and how the secondary reaches the primary. */
const PAIR_OPTIONS: readonly OptionName[] = [
  'primary',
  'secondary',
  'secondary-id',
  'primary-cluster-addr',
  'primary-api-addr',
  'allow-repoint',
  'skip-check',
]

/** Each command's own options and how many arguments follow its name; anything else is a usage error. */
const COMMANDS: Record<string, { options: readonly OptionName[]; args: number }> = {
  'clusters add': { options: ['role', 'agent-url'], args: 1 },
  'clusters list': { options: [], args: 0 },
  'clusters status': { options: [], args: 1 },
  preflight: { options: PAIR_OPTIONS, args: 0 },
  'handshake start': { options: [...PAIR_OPTIONS, 'ttl', 'no-inspect', 'follow'], args: 0 },
  'handshake show': { options: [], args: 1 },
  'handshake list': { options: ['state'], args: 0 },
  'handshake cancel': { options: [], args: 1 },
}

/**
 * The command the positionals name, or a usage error naming what does not belong to it: an option another command
 * takes, or an extra argument, is refused rather than ignored.
 */
function commandOf(positionals: string[], values: Values): string {
  const [group = '', second] = positionals
  const name = Object.hasOwn(COMMANDS, group) ? group : `${group} ${second ?? ''}`.trim()
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (command === undefined) throw usageError(`unknown command "${positionals.join(' ')}"`)
  const given = Object.keys(values) as OptionName[]
  const foreign = given.filter((o) => !command.options.includes(o) && !GLOBAL_OPTIONS.includes(o))
  if (foreign.length > 0) {
    const list = foreign.map((o) => `--${o}`).join(', ')
    throw usageError(`"${name}" does not take ${list}`)
  }
  const extra = positionals.slice(name.split(' ').length + command.args)
  if (extra.length > 0)
    throw usageError(`"${name}" does not take the argument${extra.length > 1 ? 's' : ''} ${extra.join(' ')}`)
  return name
}

const usageError = (message: string) => new CliError(`error: ${message}\n\n${USAGE}`, ExitCode.usage)

/** Runs one command line and returns its exit code; errors print to stderr, never a stack. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let parsed: { values: Values; positionals: string[] }
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n\n${USAGE}\n`)
    return ExitCode.usage
  }
  const { values, positionals } = parsed
  const out = createOutput(values.json === true)
  if (values.help || positionals.length === 0) {
    out.out(USAGE)
    return values.help ? ExitCode.ok : ExitCode.usage
  }
  let client: ReturnType<typeof gatewayClientFromEnv> | undefined
  try {
    const command = commandOf(positionals, values)
    client = gatewayClientFromEnv(env)
    return await dispatch(client.api, out, command, positionals, values, env)
  } catch (err) {
    if (err instanceof CliError) {
      out.err(err.message)
      return err.exitCode
    }
    if (err instanceof ConfigError) {
      out.err(err.message)
      return ExitCode.usage
    }
    out.err(`error: cannot reach the gateway at ${client?.baseUrl ?? '?'}: ${describe(err)}`)
    return ExitCode.unavailable
  } finally {
    await client?.close()
  }
}

async function dispatch(
  api: GatewayApi,
  out: Output,
  command: string,
  positionals: string[],
  v: Values,
  env: NodeJS.ProcessEnv,
) {
  const arg = positionals[2]
  const need = (value: string | undefined, what: string) => {
    if (value === undefined || value === '') throw usageError(`${what} is required`)
    return value
  }
  const pair = () => ({ primary: need(v.primary, '--primary'), secondary: need(v.secondary, '--secondary') })
  const primaryAddrs = () => ({
    ...(v['primary-cluster-addr'] === undefined ? {} : { primary_cluster_addr: v['primary-cluster-addr'] }),
    ...(v['primary-api-addr'] === undefined ? {} : { primary_api_addr: v['primary-api-addr'] }),
  })
  switch (command) {
    case 'clusters add': {
      const role = need(v.role, '--role')
      if (role !== 'primary' && role !== 'secondary') throw new CliError('error: --role is primary or secondary', 2)
      return addCluster(
        api,
        out,
        { name: need(arg, '<name>'), role, agentUrl: need(v['agent-url'], '--agent-url') },
        env,
      )
    }
    case 'clusters list':
      return listClusters(api, out)
    case 'clusters status':
      return clusterStatus(api, out, need(arg, '<name>'))
    case 'preflight':
      return runPreflight(api, out, {
        ...pair(),
        ...(v['secondary-id'] === undefined ? {} : { secondary_id: v['secondary-id'] }),
        ...primaryAddrs(),
        allow_repoint: v['allow-repoint'] === true,
        skip_checks: (v['skip-check'] ?? []) as never,
      })
    case 'handshake start':
      return startHandshake(
        api,
        out,
        {
          ...pair(),
          ...(v['secondary-id'] === undefined ? {} : { secondary_id: v['secondary-id'] }),
          ...primaryAddrs(),
          ...(v.ttl === undefined ? {} : { token_ttl: v.ttl }),
          inspect: v['no-inspect'] !== true,
          allow_repoint: v['allow-repoint'] === true,
          skip_checks: (v['skip-check'] ?? []) as never,
        },
        v.follow === true,
      )
    case 'handshake show':
      return showHandshake(api, out, need(arg, '<id>'))
    case 'handshake list':
      return listHandshakes(api, out, v.state)
    case 'handshake cancel':
      return cancelHandshake(api, out, need(arg, '<id>'))
    default:
      throw usageError(`unknown command "${positionals.join(' ')}"`)
  }
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? (err as Error).message
}
