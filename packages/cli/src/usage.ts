export const USAGE = `vault-dr: drive Vault Enterprise DR replication through the vault-dr gateway

Usage:
  vault-dr clusters add <name> --role primary|secondary --agent-url <url>
  vault-dr clusters list
  vault-dr clusters status <name>
  vault-dr preflight --primary <name> --secondary <name> [--secondary-id <id>] [--primary-cluster-addr <url>]
                     [--primary-api-addr <url>] [--allow-repoint] [--skip-check <check>]...
  vault-dr handshake start --primary <name> --secondary <name> [--secondary-id <id>] [--primary-cluster-addr <url>]
                           [--primary-api-addr <url>] [--ttl <duration>] [--no-inspect] [--allow-repoint]
                           [--skip-check <check>]... [--follow]
  vault-dr handshake show <id>
  vault-dr handshake list [--state pending|running|succeeded|failed|cancelled]
  vault-dr handshake cancel <id>

Options:
  --primary-cluster-addr <url>  enable the primary with this primary_cluster_addr (e.g. a layer-4 load balancer
                                in front of its 8201); preflight probes it from the secondary first
  --primary-api-addr <url>      where the secondary's Vault reaches the primary's API to unwrap the token, when
                                not at the primary's own api_addr (a load balancer, NAT); probed in preflight
  --json    machine-readable output (one JSON document, or one JSON line per event with --follow)
  --help    this text

Environment:
  VAULT_DR_GATEWAY_ADDR                           the gateway (default http://127.0.0.1:8400)
  VAULT_DR_API_TOKEN or VAULT_DR_API_TOKEN_FILE   the gateway's API token (never a flag)
  VAULT_DR_GATEWAY_CACERT                         PEM file of the CA of the gateway's HTTPS certificate
                                                  (default: the system roots)
  VAULT_DR_AGENT_TOKEN or VAULT_DR_AGENT_TOKEN_FILE  the agent's token, for "clusters add"

Exit codes: 0 done, 1 the handshake or preflight failed, 2 usage error, 3 the gateway refused the request,
4 the gateway is unreachable or failed.`
