import { sealConfigKey } from '../ceremony/seal-shares.ts'
import { keyringKey, policyPrefix } from '../tokens/token-store.ts'

/**
 * What a DR secondary takes from its primary when it connects, before the merkle sync brings the rest (vault-sim's
 * choice: when Vault has them is not documented): the keyring and the policies, with which it checks a batch DR
 * operation token minted on the primary (fact sheet 2.6), and the seal configuration, whose key shares (the
 * primary's) its DR operation token ceremony takes (2.5). So a forced promote, or a ceremony, can be made mid-sync.
 */
export const isBootstrapMaterial = (key: string) =>
  key === keyringKey || key === sealConfigKey || key.startsWith(policyPrefix)
