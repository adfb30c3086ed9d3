/**
 * The header a gateway marks its keeping-in-touch reads with, sent only right after it reached its store's quorum: the
 * one contact with the quorum side an agent counts. Any other request (an operator's read through a gateway cut off
 * from the quorum, the pairs upkeep, a caller with the agent's token) would keep a cut-off primary from fencing itself
 * while the quorum side fails it over.
 */
export const CONTACT_HEADER = 'x-vault-dr-contact'
export const QUORUM_CONTACT = 'quorum'

/**
 * How long the marking gateway waits for the answer (ms): one sent later reaches a gateway that gave up on it, which
 * counts no contact, so neither does the agent (the gateway's connection stays open, so the agent cannot tell).
 */
export const CONTACT_WITHIN_HEADER = 'x-vault-dr-contact-within-ms'
