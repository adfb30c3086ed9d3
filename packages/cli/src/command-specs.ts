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
  to: { type: 'string' },
  from: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'catch-up-timeout': { type: 'string' },
  'pre-hook-url': { type: 'string' },
  'post-hook-url': { type: 'string' },
  hold: { type: 'string' },
  'check-interval': { type: 'string' },
  'down-for': { type: 'string' },
  'allow-data-loss': { type: 'boolean' },
  enable: { type: 'boolean' },
  disable: { type: 'boolean' },
  kind: { type: 'string' },
  cluster: { type: 'string' },
  limit: { type: 'string' },
  delete: { type: 'boolean' },
  'site-lost': { type: 'boolean' },
} as const

export type OptionName = keyof typeof OPTIONS

/** Options every command takes. */
export const GLOBAL_OPTIONS: readonly OptionName[] = ['json', 'help']

export const HANDSHAKE_STATES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const
export const OPERATION_KINDS = ['handshake', 'switchover', 'drill', 'failover', 'rejoin'] as const
/** The options that take a duration, as the gateway reads them: a number and ms, s, m or h. */
export const DURATION_OPTIONS = ['catch-up-timeout', 'hold', 'check-interval', 'down-for'] as const

/** What each option's help says: the value it takes (none for a switch) and what it does. */
export const OPTION_HELP: Record<OptionName, { value?: string; text: string }> = {
  json: {
    text: 'machine-readable output: one JSON document (one JSON line per event when following); errors too, on stdout',
  },
  help: { text: 'this help' },
  version: { text: "the CLI's version" },
  follow: { text: 'print each step as it happens until the handshake or operation finishes' },
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
  state: { value: HANDSHAKE_STATES.join('|'), text: 'only handshakes (or operations) in this state' },
  'max-lag-wals': {
    value: '<n>',
    text: 'the most WALs the secondary may be behind for the lag check to pass (default 100)',
  },
  to: { value: '<secondary>', text: 'the DR secondary to promote to primary' },
  from: { value: '<primary>', text: 'the DR primary to demote (default: the primary the secondary streams from)' },
  'dry-run': { text: 'show the plan and its checks; change nothing' },
  'catch-up-timeout': {
    value: '<duration>',
    text: 'how long the secondary may take after the demote to hold everything the primary wrote (1s to 30m; default 60s); past it the old primary is promoted back and the operation fails, nothing lost',
  },
  'pre-hook-url': {
    value: '<url>',
    text: 'HTTPS URL POSTed before anything changes; a failure or timeout stops the operation there',
  },
  'post-hook-url': { value: '<url>', text: 'HTTPS URL POSTed at the end; a failure is a warning' },
  hold: {
    value: '<duration>',
    text: 'how long the secondary serves as primary before the switch back (1s to 1h), e.g. 5m',
  },
  'check-interval': {
    value: '<duration>',
    text: 'how often the hold checks the new primary accepts a write (1s to 5m; default 10s)',
  },
  'down-for': {
    value: '<duration>',
    text: 'how long the primary must have been unreachable from two vantage points (1s to 24h; default 30s; for automatic failover at least 10s, default 60s)',
  },
  'allow-data-loss': {
    text: 'fail over even when the estimated loss is unknown or above zero (the plan says what would be lost)',
  },
  'site-lost': {
    text: 'its site is gone for good: deregister a fenced old primary its agent never demoted (should its Vault come back, no gateway demotes it)',
  },
  delete: {
    text: "delete the kept ceremony token in the secondary's Vault (it has no TTL) and have the gateway forget it",
  },
  enable: { text: 'turn automatic failover of the pair on (with --down-for, how long its primary must be lost first)' },
  disable: { text: 'turn automatic failover of the pair off' },
  kind: { value: OPERATION_KINDS.join('|'), text: 'only operations of this kind' },
  cluster: { value: '<name>', text: 'only operations that touch this cluster' },
  limit: { value: '<n>', text: 'at most this many, newest first (1 to 500; default 100)' },
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

/** What a switchover and a drill both take. */
const ROLE_CHANGE_OPTIONS: readonly OptionName[] = ['to', 'from', 'catch-up-timeout', 'pre-hook-url', 'post-hook-url']

const FOLLOW_NOTE =
  'Without --follow it prints the operation id and returns; "vault-dr operations follow <id>" attaches to it later. With --follow it exits 0 when the operation succeeds and 1 when it fails or is cancelled; Ctrl-C stops following only.'

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
      'Then the gateway asks the agent: exit 1 (registered all the same) when it cannot be used, saying why and what to do.',
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
    options: ['site-lost'],
    summary: 'forget a cluster and its stored agent token; nothing changes on the cluster itself',
    notes: [
      'Refused while an unfinished handshake or other operation uses the cluster, and while a failover fenced it and its agent has not demoted it yet (unless --site-lost).',
    ],
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
      'A handshake stops at its next step; once activate_secondary has started it runs to its end (the secondary may be wiped).',
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
    summary: 'one pair, and whether it could fail over now: checks P1-P7, each with its fix',
    notes: ['Exits 1 when a check fails (the pair is not ready); warnings are shown with their fix.'],
  },
  'pairs auto-failover': {
    args: ['<secondary>'],
    options: ['enable', 'disable', 'down-for'],
    summary: 'show, or turn on or off, the automatic failover of a pair when its primary site is lost',
    notes: [
      'Without --enable or --disable: shows the setting. --down-for defaults to 60s, at least 10s.',
      'It fails over only when its primary is unreachable from two places outside its site for --down-for, at most once per VAULT_DR_AUTO_FAILOVER_BLOCK.',
    ],
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
    options: ['delete'],
    summary: "make a DR operation token on the secondary from the primary's key shares (the fallback to batch tokens)",
    notes: [
      'Key shares are read one per line: typed without echo at the terminal, or piped on stdin; never from arguments or the environment.',
      'The OTP is handled by the secondary agent, and the decoded token kept sealed by the gateway (never shown).',
      'Ending the input early, a refused share or Ctrl-C cancels the attempt on the secondary.',
      'Exits 1 when the input ended before enough shares or on Ctrl-C, 3 when the secondary refused a share.',
      'A ceremony token has no TTL: delete it after use with --delete. A new ceremony is refused while one is kept.',
    ],
  },
  switchover: {
    args: [],
    options: [...ROLE_CHANGE_OPTIONS, 'dry-run', 'follow'],
    required: ['to'],
    summary: 'move the primary role to a DR secondary with nothing lost; the old primary follows it without a wipe',
    notes: [
      'With --dry-run it prints the plan (followers, steps, checks with their fixes) and exits 1 when a check fails.',
      FOLLOW_NOTE,
      'A cancellation ("vault-dr operations cancel <id>") before the demote stops it cleanly; after it, the switchover runs to a safe end.',
    ],
  },
  drill: {
    args: [],
    options: [...ROLE_CHANGE_OPTIONS, 'hold', 'check-interval', 'dry-run', 'follow'],
    required: ['to', 'hold'],
    summary: 'a DR drill: switch over to the secondary, hold while checking it serves, switch back; report RTO and RPO',
    notes: [
      'With --dry-run it prints the plan (both legs, the hold, the checks with their fixes) and exits 1 when a check fails.',
      FOLLOW_NOTE,
      'Once finished, "vault-dr operations show <id>" prints its report: each leg\'s writes-refused window and WALs lost.',
    ],
  },
  failover: {
    args: [],
    options: ['to', 'down-for', 'allow-data-loss', 'dry-run', 'follow'],
    required: ['to'],
    summary: "promote a DR secondary when its primary's site is lost; the old primary is fenced",
    notes: [
      'With --dry-run it prints every vantage point with since when it sees the primary so, the estimated data loss, the DR operation token it would use, the fencing, the followers, the steps and each item with its fix; it exits 1 when a failover would be refused.',
      'Refused (exit 3, with the code, detail and fix) unless the primary is unreachable from two vantage points for longer than --down-for, or its agent says Vault is sealed or gone; a healthy primary calls for "vault-dr switchover"; an unknown or non-zero loss needs --allow-data-loss.',
      FOLLOW_NOTE,
    ],
  },
  rejoin: {
    args: ['<old-primary>'],
    options: ['follow'],
    summary: 'make a fenced old primary a DR secondary of the primary a failover promoted, without a wipe',
    notes: [
      'It reports the WALs the old primary wrote that the new one never received. A failback is then "vault-dr switchover".',
      'It also re-points, without a wipe, a cluster a failed switchover, drill or failover left following no running primary (its newest operation promoted another cluster, then failed).',
      FOLLOW_NOTE,
    ],
  },
  'operations list': {
    args: [],
    options: ['kind', 'state', 'cluster', 'limit'],
    summary: 'operations of every kind (handshakes too), newest first, each with the step it is at',
  },
  'operations show': {
    args: ['<id>'],
    options: [],
    summary: 'one operation: its steps, error with its fix, and result (a drill: its report)',
  },
  'operations follow': {
    args: ['<id>'],
    options: [],
    summary: 'attach to an operation and print its steps until it finishes (resumes if the stream drops)',
    notes: ['Exits 0 when the operation succeeds, 1 when it fails or is cancelled. Ctrl-C stops following only.'],
  },
  'operations cancel': {
    args: ['<id>'],
    options: [],
    summary: 'ask a pending or running operation to stop',
    notes: [
      'It stops at its next step and undoes what is safe to undo; past its point of no return (a switchover after the demote, a failover from the promote) it runs to a safe end and says why.',
    ],
  },
}

/** The command groups, for `vault-dr clusters` and `vault-dr handshake` without a subcommand. */
export const GROUPS = ['clusters', 'handshake', 'pairs', 'dr-token', 'operations'] as const
