/** Every option the CLI knows, for parseArgs; which command takes which is in COMMANDS. */
export const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
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
  'max-lag-wals': { type: 'string' },
} as const

export type OptionName = keyof typeof OPTIONS

/** Options every command takes. */
export const GLOBAL_OPTIONS: readonly OptionName[] = ['json', 'help']

export const HANDSHAKE_STATES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const

/** What each option's help says: the value it takes (none for a switch) and what it does. */
export const OPTION_HELP: Record<OptionName, { value?: string; text: string }> = {
  json: {
    text: 'machine-readable output: one JSON document (one JSON line per event when following); errors too, on stdout',
  },
  help: { text: 'this help' },
  version: { text: "the CLI's version" },
  follow: { text: 'print each step as it happens until the handshake finishes' },
  role: { value: 'primary|secondary', text: 'the role the cluster takes in DR replication' },
  'agent-url': {
    value: '<url>',
    text: "the agent's address as the gateway reaches it, e.g. https://agent.dc1.example:8410",
  },
  primary: { value: '<name>', text: 'the registered primary cluster' },
  secondary: { value: '<name>', text: 'the registered secondary cluster (activation wipes its data)' },
  'secondary-id': { value: '<id>', text: "the id the primary knows the secondary by (default: the secondary's name)" },
  'primary-cluster-addr': {
    value: '<url>',
    text: 'enable the primary with this primary_cluster_addr (e.g. a layer-4 load balancer in front of its 8201); preflight probes it from the secondary first',
  },
  'primary-api-addr': {
    value: '<url>',
    text: "where the secondary's Vault reaches the primary's API to unwrap the token, when not at the primary's own api_addr (a load balancer, NAT); probed in preflight",
  },
  ttl: {
    value: '<duration>',
    text: "TTL of the activation token: 300s, 5m or 1h (1s to 24h; a bare number is seconds); default: the gateway's VAULT_DR_TOKEN_TTL (5m). It must be longer than the gateway's VAULT_DR_TOKEN_MIN_REMAINING_MS (30 s)",
  },
  'no-inspect': { text: 'skip inspect_token (looking the token up on the primary before it is handed over)' },
  'allow-repoint': {
    text: 'kept for compatibility; changes nothing (a DR secondary of another primary cannot be activated again)',
  },
  'skip-check': { value: '<check>', text: 'skip one preflight check by its exact name; repeat for more (names below)' },
  state: { value: HANDSHAKE_STATES.join('|'), text: 'only handshakes in this state' },
  'max-lag-wals': {
    value: '<n>',
    text: 'the most WALs the secondary may be behind for the lag check to pass (default 100)',
  },
}

export interface CommandSpec {
  /** The arguments after the command's name, as help shows them. */
  args: readonly string[]
  options: readonly OptionName[]
  /** Options without which the command is a usage error. */
  required?: readonly OptionName[]
  summary: string
  /** More lines of help after the options. */
  notes?: readonly string[]
}

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

const HEALTH_NOTE =
  'Exits 1 when a cluster asked about is not healthy: its agent cannot be reached, refuses the gateway, is not trusted, or cannot read its Vault (each with its fix).'

export const COMMANDS: Record<string, CommandSpec> = {
  'clusters add': {
    args: ['<name>'],
    options: ['role', 'agent-url'],
    required: ['role', 'agent-url'],
    summary: "register a cluster's agent with the gateway, or change its agent URL and token",
    notes: [
      "The agent's token (the agent's own VAULT_DR_API_TOKEN) comes from VAULT_DR_AGENT_TOKEN_FILE or VAULT_DR_AGENT_TOKEN, never from a flag.",
    ],
  },
  'clusters list': {
    args: [],
    options: [],
    summary: 'the registered clusters with their live status',
    notes: [HEALTH_NOTE],
  },
  'clusters status': {
    args: ['<name>'],
    options: [],
    summary: "one cluster's live status and DR replication",
    notes: [HEALTH_NOTE],
  },
  'clusters remove': {
    args: ['<name>'],
    options: [],
    summary: 'forget a cluster and its stored agent token; nothing changes on the cluster itself',
    notes: ['Refused while a pending or running handshake uses the cluster.'],
  },
  preflight: {
    args: [],
    options: PAIR_OPTIONS,
    required: ['primary', 'secondary'],
    summary: 'run every check a handshake runs first, changing nothing',
    notes: ['Exits 1 when a check fails. Warnings do not stop a handshake; each is shown with its fix.'],
  },
  'handshake start': {
    args: [],
    options: [...PAIR_OPTIONS, 'ttl', 'no-inspect', 'follow'],
    required: ['primary', 'secondary'],
    summary: 'check, enable the primary, and activate the secondary (which wipes it) with a fresh token',
    notes: [
      'Without --follow it prints the handshake id and returns; "vault-dr handshake follow <id>" attaches to it later.',
      'With --follow it exits 0 when the handshake succeeds and 1 when it fails or is cancelled.',
    ],
  },
  'handshake follow': {
    args: ['<id>'],
    options: [],
    summary: 'attach to a handshake and print its steps until it finishes (after Ctrl-C, or from another terminal)',
    notes: ['Exits 0 when the handshake succeeds, 1 when it fails or is cancelled. Ctrl-C stops following only.'],
  },
  'handshake show': { args: ['<id>'], options: [], summary: 'one handshake: its steps, checks and outcome' },
  'handshake list': { args: [], options: ['state'], summary: 'the handshakes, each with the step it is at' },
  'handshake cancel': {
    args: ['<id>'],
    options: [],
    summary: 'ask a pending or running handshake to stop',
    notes: [
      'A handshake stops at its next step; once the activation was sent it runs to its end (the secondary is wiped already).',
    ],
  },
  'pairs list': {
    args: [],
    options: [],
    summary: 'every DR pair (a secondary and its primary) with its state, lag, heartbeat and DR token expiry',
  },
  'pairs show': {
    args: ['<secondary>'],
    options: ['max-lag-wals'],
    summary: 'one pair, and whether it could fail over now: checks P1-P5 and P7, each with its fix',
    notes: ['Exits 1 when a check fails (the pair is not ready); warnings are shown with their fix.'],
  },
  'dr-token rotate': {
    args: ['<secondary>'],
    options: [],
    summary: "issue a new DR operation token on the pair's primary now and check it on the secondary",
    notes: [
      'The token is sealed in the gateway and never shown; the one before stays valid until it expires.',
      'Exits 1 when the secondary refused the new token.',
    ],
  },
  'dr-token ceremony': {
    args: ['<secondary>'],
    options: [],
    summary: "make a DR operation token on the secondary from the primary's key shares (the fallback to batch tokens)",
    notes: [
      'Key shares are read one per line: typed without echo at the terminal, or piped on stdin; never from arguments or the environment.',
      'The OTP is handled by the secondary agent, and the decoded token kept sealed by the gateway (never shown).',
      'Ending the input early, a refused share or Ctrl-C cancels the attempt on the secondary.',
      'Exits 1 when the input ended before enough shares or on Ctrl-C, 3 when the secondary refused a share.',
    ],
  },
}

/** The command groups, for `vault-dr clusters` and `vault-dr handshake` without a subcommand. */
export const GROUPS = ['clusters', 'handshake', 'pairs', 'dr-token'] as const
