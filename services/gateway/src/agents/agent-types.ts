import type { components as PrimaryComponents, paths as PrimaryPaths } from '@vault-dr/primary-agent/openapi'
import type { components as SecondaryComponents, paths as SecondaryPaths } from '@vault-dr/secondary-agent/openapi'

type Primary = PrimaryComponents['schemas']
type Secondary = SecondaryComponents['schemas']

/** The agents' request and response types, all from their committed OpenAPI documents. */
export type { PrimaryPaths, SecondaryPaths }
export type ClusterStatus = Primary['ClusterStatus']
/** The status route's answer: the cluster's status and the highest fencing epoch the agent has seen. */
export type AgentStatus = Primary['AgentStatus']
export type PromoteRequest = Primary['PromoteRequestInput']
export type UpdatePrimaryRequest = Primary['UpdatePrimaryRequestInput']
export type RoleChangeResult = Primary['RoleChangeResult']
export type PublicKeyResult = Primary['PublicKeyResult']
export type WriteCheckResult = Primary['WriteCheckResult']
export type EnablePrimaryRequest = Primary['EnablePrimaryRequestInput']
export type EnablePrimaryResult = Primary['EnablePrimaryResult']
export type SecondaryToken = Primary['SecondaryToken']
export type RevokeSecondaryResult = Primary['RevokeSecondaryResult']
export type LocalClusterProbe = Primary['LocalProbeResult']
/** Both agents answer checkVaultToken in this one shape. */
export type VaultTokenCheck = Primary['VaultTokenCheck']
export type TokenInspection = Secondary['TokenInspection']
export type ProbePrimaryRequest = NonNullable<
  SecondaryPaths['/v1/probes/primary']['post']['requestBody']
>['content']['application/json']
export type ProbePrimaryResult = Secondary['ProbePrimaryResult']
export type ProbeCheck = Secondary['ProbeCheck']
export type ActivateResult = Secondary['ActivationResult']
export type ActivationState = Secondary['ActivationState']
export type DrOperationToken = Primary['DrOperationToken']
export type DrOperationTokenCheck = Secondary['DrOperationTokenCheck']
export type DrOperationTokenDeletion = Secondary['DrOperationTokenDeletion']
export type MerkleCheckResult = Secondary['MerkleCheckResult']
export type CeremonyProgress = Secondary['CeremonyProgress']
export type FenceRequest = Primary['FenceRequestInput']
export type FenceRecord = Primary['FenceRecord']
export type FenceResult = Primary['FenceResult']
export type ClearFenceResult = Primary['ClearFenceResult']
export type Serving = Primary['Serving']
