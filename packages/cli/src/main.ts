import { readFileSync } from 'node:fs'
import type { Readable } from 'node:stream'
import { parseArgs } from 'node:util'
import { ConfigError } from '@vault-dr/core'
import { checkNames } from './check-names.ts'
import {
  COMMANDS,
  DURATION_OPTIONS,
  GLOBAL_OPTIONS,
  GROUPS,
  HANDSHAKE_STATES,
  OPERATION_KINDS,
  OPTIONS,
  type OptionName,
} from './command-specs.ts'
import { addCluster, clusterStatus, listClusters, removeCluster } from './commands/clusters.ts'
import { rotateDrToken } from './commands/dr-token.ts'
import { deleteCeremonyToken, drTokenCeremony } from './commands/dr-token-ceremony.ts'
import { planFailover, startFailover, startRejoin } from './commands/failovers.ts'
import {
  cancelHandshake,
  followCommand,
  listHandshakes,
  runPreflight,
  showHandshake,
  startHandshake,
} from './commands/handshakes.ts'
import {
  cancelOperation,
  followOperationCommand,
  listOperations,
  type OperationQuery,
  showOperation,
} from './commands/operations.ts'
import { autoFailover, listPairs, showPair } from './commands/pairs.ts'
import { planDrill, planSwitchover, startDrill, startSwitchover } from './commands/switchovers.ts'
import { CliError, ExitCode } from './exit-codes.ts'
import { type Gateway, gatewayClientFromEnv } from './gateway-client.ts'
import { gatewayUnreachable } from './gateway-unreachable.ts'
import { commandHelp, groupHelp, USAGE, usageLine } from './help.ts'
import { createOutput, type Output } from './output.ts'

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values']

/** The command the first words name ("preflight", "clusters add"), or undefined. */
function commandName(words: readonly string[]): string | undefined {
  const [first = '', second = ''] = words
  if (Object.hasOwn(COMMANDS, first)) return first
  return Object.hasOwn(COMMANDS, `${first} ${second}`) ? `${first} ${second}` : undefined
}

const isGroup = (word: string | undefined) => GROUPS.includes(word as (typeof GROUPS)[number])

/** Commands whose words hold the unknown one (singular), to suggest: "status" names "clusters status". */
function suggestions(unknown: string): string {
  const word = unknown.toLowerCase().replace(/s$/, '')
  if (word.length < 3) return ''
  const found = Object.keys(COMMANDS).filter((name) => name.split(/[ -]/).some((w) => w.startsWith(word)))
  if (found.length === 0 || found.length > 4) return ''
  return `; did you mean ${found.map((name) => `"vault-dr ${name}"`).join(' or ')}?`
}

/** A usage error, followed (in human output) by the usage of the command it is about. */
function usageError(detail: string, command?: string): CliError {
  const help =
    command === undefined ? USAGE : `usage: ${usageLine(command)}\n"vault-dr ${command} --help" describes each option.`
  const fix = `Run "vault-dr ${command ?? ''}${command === undefined ? '' : ' '}--help" for the usage.`
  return new CliError({ code: 'CLI_ERR_USAGE', detail, fix }, ExitCode.usage, help)
}

/**
 * The command the positionals name, or a usage error naming what does not belong to it: an option another command
 * takes, or an extra argument, is refused rather than ignored.
 */
function commandOf(positionals: string[], values: Values): string {
  const name = commandName(positionals)
  if (name === undefined) {
    const [group] = positionals
    if (isGroup(group)) {
      const detail =
        positionals.length === 1
          ? `"${group}" needs a command`
          : `unknown command "${positionals.slice(0, 2).join(' ')}"`
      const fix = `Run "vault-dr ${group} --help".`
      throw new CliError({ code: 'CLI_ERR_USAGE', detail, fix }, ExitCode.usage, groupHelp(group as string))
    }
    throw usageError(`unknown command "${positionals.join(' ')}"${suggestions(String(positionals[0] ?? ''))}`)
  }
  const spec = COMMANDS[name]
  if (spec === undefined) throw usageError(`unknown command "${name}"${suggestions(name)}`)
  const given = Object.keys(values) as OptionName[]
  const foreign = given.filter((o) => !spec.options.includes(o) && !GLOBAL_OPTIONS.includes(o))
  if (foreign.length > 0) throw usageError(`"${name}" does not take ${foreign.map((o) => `--${o}`).join(', ')}`, name)
  const extra = positionals.slice(name.split(' ').length + spec.args.length)
  if (extra.length > 0) {
    const plan = extra[0] === 'plan' && spec.options.includes('dry-run' as OptionName) ? ' (its plan: --dry-run)' : ''
    throw usageError(
      `"${name}" does not take the argument${extra.length > 1 ? 's' : ''} ${extra.join(' ')}${plan}`,
      name,
    )
  }
  const missingArg = spec.args[positionals.length - name.split(' ').length]
  if (missingArg !== undefined) throw usageError(`${missingArg} is required`, name)
  for (const option of spec.required ?? []) {
    if (values[option] === undefined || values[option] === '') throw usageError(`--${option} is required`, name)
  }
  return name
}

/**
 * An option that takes one value given twice with two values (`--to dc1 --to dc2`): refused rather than the last one
 * silently taken, as it names what an operation acts on.
 */
function givenTwice(tokens: ReturnType<typeof parseArgs>['tokens']): string | undefined {
  const seen = new Map<string, string>()
  for (const t of tokens ?? []) {
    if (t.kind !== 'option' || t.value === undefined) continue
    const spec = OPTIONS[t.name as keyof typeof OPTIONS] as { multiple?: boolean } | undefined
    if (spec?.multiple === true) continue
    const before = seen.get(t.name)
    if (before !== undefined && before !== t.value) {
      return `--${t.name} is given twice (${before}, ${t.value}): give it once`
    }
    seen.set(t.name, t.value)
  }
  return undefined
}

/** parseArgs's message without its advice about "--", which is not how vault-dr takes arguments. */
/**
 * `--hold -5s`: a value that starts with a dash, given to an option that takes one, is joined to it (`--hold=-5s`),
 * so that the option's own check says what it takes, rather than the parser that the argument is ambiguous.
 */
function joinDashValues(argv: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    // Past a lone `--` every word is a positional, left as it is; nor is `--` a value.
    if (arg === '--') return [...out, ...argv.slice(i)]
    const next = argv[i + 1] === '--' ? undefined : argv[i + 1]
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined
    const takesValue = name !== undefined && OPTIONS[name as OptionName]?.type === 'string'
    const isOption = next !== undefined && /^--?[a-z]/i.test(next)
    if (takesValue && next?.startsWith('-') && !isOption) {
      out.push(`${arg}=${next}`)
      i++
    } else out.push(arg)
  }
  return out
}

function parseErrorDetail(err: unknown, argv: readonly string[]): string {
  const message = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '')
  const vaultHabit = argv.some((a) => /^-{1,2}format(=|$)/.test(a))
  return vaultHabit ? `${message} (vault-dr takes --json for JSON output)` : message
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

/** Runs one command line and returns its exit code; errors print without a stack (with --json, as JSON on stdout). */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, stdin: Readable = process.stdin): Promise<number> {
  const out = createOutput(argv.includes('--json'))
  try {
    return await run(argv, env, out, stdin)
  } catch (err) {
    if (!(err instanceof CliError)) throw err
    out.error(err)
    return err.exitCode
  }
}

async function run(argv: string[], env: NodeJS.ProcessEnv, out: Output, stdin: Readable): Promise<number> {
  let parsed: { values: Values; positionals: string[] }
  try {
    const { values, positionals, tokens } = parseArgs({
      args: joinDashValues(argv),
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
      tokens: true,
    })
    const twice = givenTwice(tokens)
    if (twice !== undefined) throw usageError(twice, commandName(positionals))
    parsed = { values, positionals }
  } catch (err) {
    if (err instanceof CliError) throw err
    const words = argv.filter((a) => !a.startsWith('-'))
    throw usageError(parseErrorDetail(err, argv), commandName(words))
  }
  const { values } = parsed
  let { positionals } = parsed
  // With a command, --version is an option that command does not take (refused below), not a request for the version.
  if (values.version && parsed.positionals.length === 0) {
    out.out(out.json ? JSON.stringify({ version: version() }) : `vault-dr ${version()}`)
    return ExitCode.ok
  }
  const helpAsked = values.help === true || positionals[0] === 'help'
  if (positionals[0] === 'help') positionals = positionals.slice(1)
  if (positionals.length === 0) {
    if (!helpAsked) throw usageError('a command is required')
    out.out(USAGE)
    return ExitCode.ok
  }
  if (helpAsked) {
    const name = commandName(positionals)
    if (name !== undefined) out.out(commandHelp(name))
    else if (isGroup(positionals[0])) out.out(groupHelp(positionals[0] as string))
    else throw usageError(`unknown command "${positionals.join(' ')}"`)
    return ExitCode.ok
  }
  const command = commandOf(positionals, values)
  checkValues(command, values)
  let client: ReturnType<typeof gatewayClientFromEnv>
  try {
    client = gatewayClientFromEnv(env)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    const fix = 'Set the variables named above; "vault-dr --help" lists them.'
    throw new CliError({ code: err.code, detail: err.problems.join('; '), fix }, ExitCode.usage)
  }
  try {
    const gateway = { api: client.api, events: client.events, baseUrl: client.baseUrl }
    return await dispatch(gateway, out, command, positionals[command.split(' ').length], values, env, stdin)
  } catch (err) {
    if (err instanceof CliError) throw err
    throw gatewayUnreachable(err, client.baseUrl)
  } finally {
    await client.close()
  }
}

/** Values the CLI can refuse itself, before asking the gateway: a role, a state, a check name. */
function checkValues(command: string, v: Values): void {
  if (v.role !== undefined && v.role !== 'primary' && v.role !== 'secondary') {
    throw usageError(`--role is primary or secondary, not "${v.role}"`, command)
  }
  if (v.state !== undefined && !HANDSHAKE_STATES.includes(v.state as (typeof HANDSHAKE_STATES)[number])) {
    throw usageError(`--state is one of ${HANDSHAKE_STATES.join(', ')}, not "${v.state}"`, command)
  }
  const known = checkNames()
  const unknown = (v['skip-check'] ?? []).filter((c) => !known.includes(c))
  if (unknown.length > 0) {
    const detail = `--skip-check does not know ${unknown.map((c) => `"${c}"`).join(', ')}`
    const fix = `Name checks exactly as preflight shows them: ${known.join(', ')}.`
    throw new CliError({ code: 'CLI_ERR_UNKNOWN_CHECK', detail, fix }, ExitCode.usage)
  }
  if (v['max-lag-wals'] !== undefined && !/^\d{1,10}$/.test(v['max-lag-wals'])) {
    throw usageError(`--max-lag-wals is a whole number of WALs, not "${v['max-lag-wals']}"`, command)
  }
  for (const option of DURATION_OPTIONS) {
    const value = v[option]
    if (value !== undefined && !/^\d{1,6}(ms|s|m|h)$/.test(value)) {
      throw usageError(`--${option} is a duration such as 90s, 5m or 1h, not "${value}"`, command)
    }
  }
  if (v.kind !== undefined && !OPERATION_KINDS.includes(v.kind as (typeof OPERATION_KINDS)[number])) {
    throw usageError(`--kind is one of ${OPERATION_KINDS.join(', ')}, not "${v.kind}"`, command)
  }
  if (v.limit !== undefined && !(/^\d{1,3}$/.test(v.limit) && Number(v.limit) >= 1 && Number(v.limit) <= 500)) {
    throw usageError(`--limit is a whole number from 1 to 500, not "${v.limit}"`, command)
  }
  if (v.enable === true && v.disable === true) throw usageError('--enable and --disable: pass one of them', command)
  if (v['down-for'] !== undefined && command === 'pairs auto-failover' && v.enable !== true) {
    throw usageError('--down-for goes with --enable: it is how long the primary must be lost first', command)
  }
  if (v['dry-run'] === true && v.follow === true) {
    throw usageError('--dry-run changes nothing, so there is nothing to --follow: pass one of them', command)
  }
}

async function dispatch(
  gateway: Gateway,
  out: Output,
  command: string,
  arg: string | undefined,
  v: Values,
  env: NodeJS.ProcessEnv,
  stdin: Readable,
): Promise<number> {
  const { api } = gateway
  // commandOf has refused a missing argument or required option already.
  const given = (value: string | undefined) => value as string
  const pair = () => ({ primary: given(v.primary), secondary: given(v.secondary) })
  const pairOptions = () => ({
    ...pair(),
    ...(v['secondary-id'] === undefined ? {} : { secondary_id: v['secondary-id'] }),
    ...(v['primary-cluster-addr'] === undefined ? {} : { primary_cluster_addr: v['primary-cluster-addr'] }),
    ...(v['primary-api-addr'] === undefined ? {} : { primary_api_addr: v['primary-api-addr'] }),
    allow_repoint: v['allow-repoint'] === true,
    skip_checks: (v['skip-check'] ?? []) as never,
  })
  switch (command) {
    case 'clusters add': {
      const role = v.role as 'primary' | 'secondary'
      return addCluster(api, out, { name: given(arg), role, agentUrl: given(v['agent-url']) }, env)
    }
    case 'clusters list':
      return listClusters(api, out)
    case 'clusters status':
      return clusterStatus(api, out, given(arg))
    case 'clusters remove':
      return removeCluster(api, out, given(arg), v['site-lost'] === true)
    case 'preflight':
      return runPreflight(api, out, pairOptions())
    case 'handshake start': {
      const body = {
        ...pairOptions(),
        ...(v.ttl === undefined ? {} : { token_ttl: v.ttl }),
        inspect: v['no-inspect'] !== true,
      }
      return startHandshake(api, out, body, v.follow === true)
    }
    case 'handshake follow':
      return followCommand(api, out, given(arg))
    case 'handshake show':
      return showHandshake(api, out, given(arg))
    case 'handshake list':
      return listHandshakes(api, out, v.state as (typeof HANDSHAKE_STATES)[number] | undefined)
    case 'handshake cancel':
      return cancelHandshake(api, out, given(arg))
    case 'pairs list':
      return listPairs(api, out)
    case 'pairs show':
      return showPair(api, out, given(arg), v['max-lag-wals'] === undefined ? undefined : Number(v['max-lag-wals']))
    case 'pairs auto-failover':
      return autoFailover(api, out, given(arg), {
        enable: v.enable === true,
        disable: v.disable === true,
        downFor: v['down-for'],
      })
    case 'dr-token rotate':
      return rotateDrToken(api, out, given(arg))
    case 'dr-token ceremony':
      return v.delete === true
        ? deleteCeremonyToken(api, out, given(arg))
        : drTokenCeremony(api, out, given(arg), stdin)
    case 'switchover': {
      const body = roleChangeBody(v)
      return v['dry-run'] === true
        ? planSwitchover(gateway, out, body)
        : startSwitchover(gateway, out, body, v.follow === true)
    }
    case 'drill': {
      const body = {
        ...roleChangeBody(v),
        hold: given(v.hold),
        ...(v['check-interval'] === undefined ? {} : { check_interval: v['check-interval'] }),
      }
      return v['dry-run'] === true ? planDrill(gateway, out, body) : startDrill(gateway, out, body, v.follow === true)
    }
    case 'failover': {
      const body = {
        to: given(v.to),
        ...(v['down-for'] === undefined ? {} : { down_for: v['down-for'] }),
        allow_data_loss: v['allow-data-loss'] === true,
      }
      return v['dry-run'] === true
        ? planFailover(gateway, out, body)
        : startFailover(gateway, out, body, v.follow === true)
    }
    case 'rejoin':
      return startRejoin(gateway, out, given(arg), v.follow === true)
    case 'operations list': {
      const query: OperationQuery = {
        ...(v.kind === undefined ? {} : { kind: v.kind as NonNullable<OperationQuery['kind']> }),
        ...(v.state === undefined ? {} : { state: v.state as NonNullable<OperationQuery['state']> }),
        ...(v.cluster === undefined ? {} : { cluster: v.cluster }),
        ...(v.limit === undefined ? {} : { limit: Number(v.limit) }),
      }
      return listOperations(gateway, out, query)
    }
    case 'operations show':
      return showOperation(gateway, out, given(arg))
    case 'operations follow':
      return followOperationCommand(gateway, out, given(arg))
    case 'operations cancel':
      return cancelOperation(gateway, out, given(arg))
    default:
      throw usageError(`unknown command "${command}"`)
  }
}

/** The body of a switchover, and the part of a drill's it shares. */
function roleChangeBody(v: Values) {
  return {
    to: v.to as string,
    ...(v.from === undefined ? {} : { from: v.from }),
    ...(v['catch-up-timeout'] === undefined ? {} : { catch_up_timeout: v['catch-up-timeout'] }),
    ...(v['pre-hook-url'] === undefined ? {} : { pre_hook_url: v['pre-hook-url'] }),
    ...(v['post-hook-url'] === undefined ? {} : { post_hook_url: v['post-hook-url'] }),
  }
}
