/**
 * The static configuration examples of Traefik v3.7.9's documentation pages (HTTP parts), as a user copies them:
 * `docs/content/reference/install-configuration/entrypoints.md` ("EntryPoints") and
 * `docs/content/reference/install-configuration/providers/hashicorp/consul-catalog.md` ("Consul Catalog"), every
 * "File (YAML)", "File (TOML)" and "CLI" tab. CLI tabs are given as the argv a shell passes (quotes removed,
 * `# ...` comments dropped). Helm chart values are not a Traefik static file and are left out.
 */
export interface DocExample { page: 'entrypoints' | 'consul-catalog'; tab: string; format?: 'yaml' | 'toml'; text?: string; argv?: string[] }

export const docExamples: DocExample[] = [
  {
    page: 'entrypoints', tab: 'configuration example (YAML)', format: 'yaml', text: `entryPoints:
  web:
    address: :80
    http:
      redirections:
        entryPoint:
          to: websecure
          scheme: https
          permanent: true
    observability:
      accessLogs: false
      metrics: false
      tracing: false

  websecure:
    address: :443
    http:
      tls: {}
      middlewares:
        - default-auth@kubernetescrd
        - default-strip@kubernetescrd
`,
  },
  {
    page: 'entrypoints', tab: 'configuration example (TOML)', format: 'toml', text: `[entryPoints]
  [entryPoints.web]
    address = ":80"
    [entryPoints.web.http]
      [entryPoints.web.http.redirections.entryPoint]
        to = "websecure"
        scheme = "https"
        permanent = true
    [entryPoints.web.observability]
      accessLogs = false
      metrics = false
      tracing = false

  [entryPoints.websecure]
    address = ":443"
    [entryPoints.websecure.http]
      middlewares = ["default-auth@kubernetescrd", "default-strip@kubernetescrd"]
      [entryPoints.websecure.http.tls]
`,
  },
  { page: 'entrypoints', tab: 'allowACMEByPass (YAML)', format: 'yaml', text: 'entryPoints:\n  web:\n    address: ":80"\n    allowACMEByPass: true\n' },
  { page: 'entrypoints', tab: 'allowACMEByPass (TOML)', format: 'toml', text: '[entryPoints.web]\n  address = ":80"\n  allowACMEByPass = true\n' },
  { page: 'entrypoints', tab: 'allowACMEByPass (CLI)', argv: ['--entryPoints.web.address=:80', '--entryPoints.web.allowACMEByPass=true'] },
  { page: 'entrypoints', tab: 'http.middlewares (YAML)', format: 'yaml', text: 'entryPoints:\n  web:\n    address: :80\n    http:\n      middlewares:\n        - default-auth@kubernetescrd\n        - strip@file\n' },
  { page: 'entrypoints', tab: 'underscoreHeadersStrategy (YAML)', format: 'yaml', text: "entryPoints:\n  websecure:\n    address: ':443'\n    http:\n      underscoreHeadersStrategy: delete\n" },
  { page: 'entrypoints', tab: 'underscoreHeadersStrategy (TOML)', format: 'toml', text: '[entryPoints.websecure]\n  address = ":443"\n\n  [entryPoints.websecure.http]\n    underscoreHeadersStrategy = "delete"\n' },
  { page: 'entrypoints', tab: 'underscoreHeadersStrategy (CLI)', argv: ['--entryPoints.websecure.address=:443', '--entryPoints.websecure.http.underscoreHeadersStrategy=delete'] },
  { page: 'entrypoints', tab: 'forwardedHeaders.trustedIPs (YAML)', format: 'yaml', text: '## Static configuration\nentryPoints:\n  web:\n    address: ":80"\n    forwardedHeaders:\n      trustedIPs:\n        - "127.0.0.1/32"\n        - "192.168.1.7"\n' },
  { page: 'entrypoints', tab: 'forwardedHeaders.trustedIPs (TOML)', format: 'toml', text: '## Static configuration\n[entryPoints]\n  [entryPoints.web]\n    address = ":80"\n\n    [entryPoints.web.forwardedHeaders]\n      trustedIPs = ["127.0.0.1/32", "192.168.1.7"]\n' },
  { page: 'entrypoints', tab: 'forwardedHeaders.trustedIPs (CLI)', argv: ['--entryPoints.web.address=:80', '--entryPoints.web.forwardedHeaders.trustedIPs=127.0.0.1/32,192.168.1.7'] },
  { page: 'entrypoints', tab: 'forwardedHeaders.insecure (YAML)', format: 'yaml', text: '## Static configuration\nentryPoints:\n  web:\n    address: ":80"\n    forwardedHeaders:\n      insecure: true\n' },
  { page: 'entrypoints', tab: 'forwardedHeaders.insecure (TOML)', format: 'toml', text: '## Static configuration\n[entryPoints]\n  [entryPoints.web]\n    address = ":80"\n\n    [entryPoints.web.forwardedHeaders]\n      insecure = true\n' },
  { page: 'entrypoints', tab: 'forwardedHeaders.insecure (CLI)', argv: ['--entryPoints.web.address=:80', '--entryPoints.web.forwardedHeaders.insecure'] },
  { page: 'entrypoints', tab: 'forwardedHeaders.connection (YAML)', format: 'yaml', text: '## Static configuration\nentryPoints:\n  web:\n    address: ":80"\n    forwardedHeaders:\n      connection:\n        - foobar\n' },
  { page: 'entrypoints', tab: 'forwardedHeaders.connection (TOML)', format: 'toml', text: '## Static configuration\n[entryPoints]\n  [entryPoints.web]\n    address = ":80"\n\n    [entryPoints.web.forwardedHeaders]\n      connection = ["foobar"]\n' },
  { page: 'entrypoints', tab: 'forwardedHeaders.connection (CLI)', argv: ['--entryPoints.web.address=:80', '--entryPoints.web.forwardedHeaders.connection=foobar'] },
  { page: 'entrypoints', tab: 'reusePort (YAML)', format: 'yaml', text: '  entryPoints:\n    web:\n      address: ":80"\n      reusePort: true\n' },
  { page: 'entrypoints', tab: 'reusePort, two entry points (YAML)', format: 'yaml', text: 'entryPoints:\n  web:\n    address: ":80"\n    reusePort: true\n  privateWeb:\n    address: "192.168.1.2:80"\n    reusePort: true\n' },
  { page: 'consul-catalog', tab: 'enable (YAML)', format: 'yaml', text: 'providers:\n  consulCatalog: {}\n' },
  { page: 'consul-catalog', tab: 'enable (TOML)', format: 'toml', text: '[providers.consulCatalog]\n' },
  { page: 'consul-catalog', tab: 'enable (CLI)', argv: ['--providers.consulcatalog=true'] },
  { page: 'consul-catalog', tab: 'defaultRule (YAML)', format: 'yaml', text: 'providers:\n  consulCatalog:\n    defaultRule: "Host(`{{ .Name }}.{{ index .Labels \\"customLabel\\"}}`)"\n    # ...\n' },
  { page: 'consul-catalog', tab: 'defaultRule (TOML)', format: 'toml', text: '[providers.consulCatalog]\n  defaultRule = "Host(`{{ .Name }}.{{ index .Labels \\"customLabel\\"}}`)"\n  # ...\n' },
  { page: 'consul-catalog', tab: 'defaultRule (CLI)', argv: ['--providers.consulcatalog.defaultRule=Host(`{{ .Name }}.{{ index .Labels "customLabel"}}`)'] },
  { page: 'consul-catalog', tab: 'constraints (YAML)', format: 'yaml', text: 'providers:\n  consulCatalog:\n    constraints: "Tag(`a.tag.name`)"\n    # ...\n' },
  { page: 'consul-catalog', tab: 'constraints (TOML)', format: 'toml', text: '[providers.consulCatalog]\n  constraints = "Tag(`a.tag.name`)"\n  # ...\n' },
  { page: 'consul-catalog', tab: 'constraints (CLI)', argv: ['--providers.consulcatalog.constraints=Tag(`a.tag.name`)'] },
  ...[
    'Tag(`a.tag.name=foo`)', '!Tag(`a.tag.name=foo`)', 'Tag(`a.tag.name`) && Tag(`another.tag.name`)', 'Tag(`a.tag.name`) || Tag(`another.tag.name`)',
    'Tag(`a.tag.name`) && (Tag(`another.tag.name`) || Tag(`yet.another.tag.name`))', 'TagRegex(`a\\.tag\\.t.+`)',
  ].map((c): DocExample => ({ page: 'consul-catalog', tab: `constraints example ${c}`, format: 'toml', text: `[providers.consulCatalog]\n  constraints = "${c.replaceAll('\\', '\\\\')}"\n` })),
  { page: 'consul-catalog', tab: 'namespaces (YAML)', format: 'yaml', text: 'providers:\n  consulCatalog:\n    namespaces: \n      - "ns1"\n      - "ns2"\n    # ...\n' },
  { page: 'consul-catalog', tab: 'namespaces (TOML)', format: 'toml', text: '[providers.consulCatalog]\n  namespaces = ["ns1", "ns2"]\n  # ...\n' },
  { page: 'consul-catalog', tab: 'namespaces (CLI)', argv: ['--providers.consulcatalog.namespaces=ns1,ns2'] },
];
