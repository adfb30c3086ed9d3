import { checkNames } from './check-names.ts'
import { COMMANDS, type CommandSpec, GLOBAL_OPTIONS, OPTION_HELP, type OptionName } from './command-specs.ts'

const ENVIRONMENT = `Environment:
  VAULT_DR_GATEWAY_ADDR                               the gateway (default http://127.0.0.1:8400)
  VAULT_DR_API_TOKEN_FILE or VAULT_DR_API_TOKEN       the gateway's API token (never a flag)
  VAULT_DR_GATEWAY_CACERT                             PEM file of the CA of the gateway's HTTPS certificate
                                                      (default: the system roots)
  VAULT_DR_AGENT_TOKEN_FILE or VAULT_DR_AGENT_TOKEN   the agent's token, for "clusters add"`

const EXIT_CODES = `Exit codes: 0 done; 1 it ran and did not succeed (a handshake, an operation or a preflight failed or was
cancelled, a followed drill found a fault, a dry run's plan has a failed check, a cluster asked about is not healthy, a
pair is not ready, the secondary refused a token, a ceremony did not complete); 2 usage error (an option value the
gateway finds invalid included); 3 the gateway refused the request (a failover the guard refuses included, and a dry
run it could not plan: no such pair, a cluster held by another operation); 4 the gateway is unreachable or failed.`

function optionUsage(name: OptionName, spec: CommandSpec): string {
  const { value } = OPTION_HELP[name]
  const flag = value === undefined ? `--${name}` : `--${name} ${value}`
  if (spec.required?.includes(name)) return flag
  return name === 'skip-check' ? `[${flag}]...` : `[${flag}]`
}

/** `vault-dr clusters add <name> --role primary|secondary --agent-url <url>`, wrapped at 118 columns. */
export function usageLine(name: string): string {
  const spec = COMMANDS[name] as CommandSpec
  const words = [`vault-dr ${name}`, ...spec.args, ...spec.options.map((o) => optionUsage(o, spec))]
  const indent = ' '.repeat(`vault-dr ${name} `.length)
  const lines = [words[0] as string]
  for (const word of words.slice(1)) {
    const last = lines.length - 1
    if (`${lines[last]} ${word}`.length > 118) lines.push(`${indent}${word}`)
    else lines[last] = `${lines[last]} ${word}`
  }
  return lines.join('\n')
}

function optionLines(options: readonly OptionName[]): string[] {
  const flags = options.map((o) => {
    const { value } = OPTION_HELP[o]
    return o === 'help' ? '-h, --help' : value === undefined ? `--${o}` : `--${o} ${value}`
  })
  const width = Math.min(Math.max(...flags.map((f) => f.length)) + 4, 34)
  return options.map((o, i) => {
    const flag = `  ${flags[i]}`
    const text = wrap(OPTION_HELP[o].text, ' '.repeat(width))
    return flag.length + 2 > width ? `${flag}\n${text}` : `${flag.padEnd(width)}${text.slice(width)}`
  })
}

/** One command's help: usage, what it does, each option, and the check names where --skip-check is taken. */
export function commandHelp(name: string): string {
  const spec = COMMANDS[name] as CommandSpec
  const parts = [`${usageLine(name)}\n\n${spec.summary[0]?.toUpperCase()}${spec.summary.slice(1)}.`]
  parts.push(`Options:\n${optionLines([...spec.options, ...GLOBAL_OPTIONS]).join('\n')}`)
  if (spec.options.includes('skip-check')) {
    parts.push(`Checks --skip-check takes:\n${wrap(checkNames().join(', '), '  ')}`)
  }
  if (spec.notes !== undefined) parts.push(spec.notes.map((n) => wrap(n, '')).join('\n'))
  parts.push(ENVIRONMENT, EXIT_CODES)
  return parts.join('\n\n')
}

/** The commands of a group (`vault-dr clusters`), or of the whole CLI. */
export function commandList(group?: string): string {
  const names = Object.keys(COMMANDS).filter((n) => group === undefined || n.startsWith(`${group} `))
  const width = Math.max(...names.map((n) => n.length)) + 2
  return names.map((n) => `  vault-dr ${n.padEnd(width)}${COMMANDS[n]?.summary}`).join('\n')
}

export function groupHelp(group: string): string {
  return `Usage: vault-dr ${group} <command>\n\nCommands:\n${commandList(group)}\n\n"vault-dr ${group} <command> --help" shows a command's options.`
}

export const USAGE = `vault-dr: drive Vault Enterprise DR replication through the vault-dr gateway

Commands:
${commandList()}

Options every command takes:
${optionLines(GLOBAL_OPTIONS).join('\n')}
"vault-dr <command> --help" shows a command's options; "vault-dr --version" the CLI's version.

${ENVIRONMENT}

${EXIT_CODES}`

function wrap(text: string, indent: string, width = 118): string {
  const lines = [indent]
  for (const word of text.split(' ')) {
    const last = lines.length - 1
    if (lines[last] !== indent && `${lines[last]} ${word}`.length > width) lines.push(`${indent}${word}`)
    else lines[last] = lines[last] === indent ? `${indent}${word}` : `${lines[last]} ${word}`
  }
  return lines.join('\n')
}
