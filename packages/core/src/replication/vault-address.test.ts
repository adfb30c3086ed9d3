import { describe, expect, it } from 'vitest'
import { addressProblem, PrimaryApiAddr, PrimaryClusterAddr, sameClusterAddress } from './vault-address.ts'

describe('addressProblem', () => {
  it.each([
    'https://vault.example.com:8200',
    'https://vault.example.com',
    'http://10.0.0.1:8201',
    'https://[::1]:8201',
    'https://vault.example.com:8200/',
  ])('accepts %s', (address) => {
    expect(addressProblem(address)).toBeNull()
  })

  it.each([
    ['ftp://vault:8200', /scheme/],
    ['tcp://vault:8201', /scheme/],
    ['vault:8200', /scheme/],
    ['https://vault:0', /port/],
    ['https://vault:99999', /port/],
    ['https://vault:8200/v1/sys', /path/],
    ['https://vault:8200?x=1', /query/],
    ['https://vault:8200#frag', /query/],
    ['https://user:pw@vault:8200', /user/],
    ['https://', /URL/],
    ['not a url', /spaces/],
    ['https://127.0.0.\n1:8201', /control characters/],
    ['https://a\r\nb:8201', /control characters/],
    ['https://127.0.0.1:\t8201', /control characters/],
    ['https://vault\u0000.example:8201', /control characters/],
  ])('refuses %j', (address, message) => {
    expect(addressProblem(address)).toMatch(message)
  })
})

describe('sameClusterAddress', () => {
  it('reads host case, a trailing slash, another scheme or none, and the default port 8201 as the same address', () => {
    expect(sameClusterAddress('https://LB.example:8201', 'https://lb.example:8201/')).toBe(true)
    expect(sameClusterAddress('https://lb.example:8201', 'lb.example:8201')).toBe(true)
    expect(sameClusterAddress('https://lb.example:8201', 'tcp://lb.example:8201')).toBe(true)
    expect(sameClusterAddress('https://lb.example:8201', 'https://lb.example')).toBe(true)
  })

  it('tells other hosts, other ports and no address apart', () => {
    expect(sameClusterAddress('https://lb.example:8201', 'https://lb2.example:8201')).toBe(false)
    expect(sameClusterAddress('https://lb.example:8201', 'https://lb.example:8202')).toBe(false)
    expect(sameClusterAddress('https://lb.example:443', 'https://lb.example')).toBe(false)
    expect(sameClusterAddress('https://lb.example:8201', null)).toBe(false)
  })
})

describe('PrimaryClusterAddr and PrimaryApiAddr (handed to Vault as written)', () => {
  it.each([PrimaryClusterAddr, PrimaryApiAddr])('need the port written out, even the default one', (schema) => {
    expect(schema.safeParse('https://lb.example:8201').success).toBe(true)
    expect(schema.safeParse('https://lb.example:443').success).toBe(true)
    const missing = schema.safeParse('https://lb.example')
    expect(missing.success).toBe(false)
    expect(missing.error?.issues[0]?.message).toContain('must name its port')
  })

  it('refuses what any Vault address refuses', () => {
    expect(PrimaryApiAddr.safeParse('https://vault:8200/v1/sys').error?.issues[0]?.message).toContain('path')
  })
})
