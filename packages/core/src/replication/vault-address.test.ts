import { describe, expect, it } from 'vitest'
import { addressProblem, sameVaultAddress } from './vault-address.ts'

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
    ['not a url', /URL/],
  ])('refuses %s', (address, message) => {
    expect(addressProblem(address)).toMatch(message)
  })
})

describe('sameVaultAddress', () => {
  it('reads a trailing slash, host case and an explicit default port as the same address', () => {
    expect(sameVaultAddress('https://LB.example:443', 'https://lb.example/')).toBe(true)
    expect(sameVaultAddress('https://lb.example:8201', 'https://lb.example:8201/')).toBe(true)
  })

  it('tells other hosts, ports, schemes and no address apart', () => {
    expect(sameVaultAddress('https://lb.example:8201', 'https://lb2.example:8201')).toBe(false)
    expect(sameVaultAddress('https://lb.example:8201', 'https://lb.example:8202')).toBe(false)
    expect(sameVaultAddress('https://lb.example:8201', 'http://lb.example:8201')).toBe(false)
    expect(sameVaultAddress('https://lb.example:8201', null)).toBe(false)
  })
})
