/** The CLI's help, apart from every command's code: printing it loads nothing else. */
export const TOKENS_USAGE = `  tokens new --user U [--scopes a,b] [--expires 90d] [--client C] [-c file]
                                   make a user API token (Authorization: Token ...); printed once
  tokens list [--user U] [-c file] ids, users, scopes, created, expires, last used (never a token)
  tokens revoke ID|--user U [-c file]
                                   revoke one token, or every token of a user, on every instance
  tokens import --drf FILE [-c file]
                                   store the tokens of \`manage.py dumpdata auth.user authtoken.token\`
`

export const USAGE = `usage: gatehouse <command>

  start [-c gateway.config.yaml]   run the gateway
  check [-c gateway.config.yaml] [--strict]
                                   validate the config; exit 1 with file:line:col errors;
                                   warnings print too (exit 0, or 1 with --strict)
  explain [-c file] [--json] [--peer ADDR] [--tls] [--cert FILE] METHOD PATH [-H 'Name: value']...
                                   what the gateway does with that request: route, policy,
                                   authenticators, checks, headers; with credentials, the
                                   real allow or deny (exit 0 allowed, 2 refused)
  explain [-c file] [--json] --requests FILE|-
                                   the same for one request per line of JSON
                                   ({"method","target","headers":[[name,value]],"peer","tls"}),
                                   one answer per line; one process for thousands
  test [-c file] CASES.yaml... [--against OLD.yaml] [--json] [--junit FILE]
                                   run policy test cases through the real decision (exit 0
                                   all passed, 1 a case failed, 2 a config or case file error,
                                   3 passed but --against found a newly allowed request)
  test --init [-c file] [FILE]     write a starter case file from the config
  keys new                         print a new API key and its sha256: hash
  clients new ID [--scopes a,b]    print a new API key, client secret and the config stanza with their hashes
  signing-key new                  print a JWKS with a new private Ed25519 signing key
  hash-secret                      read a client secret on stdin, print its hash for secretHash
  cache purge --token T [-c file]  forget a token in Redis and every instance's local tier
                                   (--token - reads it from stdin)
  sessions revoke --user U [-c file]
                                   end every browser (oidc) session of a user, on every instance
${TOKENS_USAGE}`
