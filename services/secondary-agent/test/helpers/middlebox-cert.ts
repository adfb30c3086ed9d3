// A self-signed certificate for the TLS-terminating proxy in the tests: what a load balancer or ingress that
// terminates TLS on 8201 would present instead of Vault's cluster certificate. Test-only key, valid until 2126.
export const MIDDLEBOX_CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIBvDCCAWGgAwIBAgIUJRjHrvvrKSQVukhE29kt6FWHzggwCgYIKoZIzj0EAwIw
JDEiMCAGA1UEAwwZdGxzLXRlcm1pbmF0aW5nLW1pZGRsZWJveDAgFw0yNjExMjkw
MzU0MzNaGA8yMTI2MTEwNTAzNTQzM1owJDEiMCAGA1UEAwwZdGxzLXRlcm1pbmF0
aW5nLW1pZGRsZWJveDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABIzaLoQJfyP0
YzkYhcbnLB+ggK5UshxohdryCUu6SYpDJNO8f8cZgzlu+TOg8So7mlMD+dQ7XL3K
8WpSaEDFovmjbzBtMB0GA1UdDgQWBBQVdSZTrgrMHH0gs/EorVjlhmurGDAfBgNV
HSMEGDAWgBQVdSZTrgrMHH0gs/EorVjlhmurGDAPBgNVHRMBAf8EBTADAQH/MBoG
A1UdEQQTMBGCCWxvY2FsaG9zdIcEfwAAATAKBggqhkjOPQQDAgNJADBGAiEAjfbe
2kDPjh+YrpyP4+j7i2K469chwwJ4DZTtfaDBvSYCIQCet0BfOd2yVxFDfjHRCYga
LE14WfHS7Weg33vlfRd3Mw==
-----END CERTIFICATE-----
`

export const MIDDLEBOX_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgiW+Bd7wkoZlThAGJ
9uqxAru/PB8lpDGrN3oAuE9cGVKhRANCAASM2i6ECX8j9GM5GIXG5ywfoICuVLIc
aIXa8glLukmKQyTTvH/HGYM5bvkzoPEqO5pTA/nUO1y9yvFqUmhAxaL5
-----END PRIVATE KEY-----
`
