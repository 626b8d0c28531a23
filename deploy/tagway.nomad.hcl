# tagway on every edge node, as a Nomad system job.
#
#   nomad var put nomad/jobs/tagway consul_token=<token>   # once; see "Consul token" below
#   nomad var put nomad/jobs/tagway/tls cert=@fullchain.pem key=@privkey.pem   # see "Certificates" below
#   nomad job run -var version=0.1.0 deploy/tagway.nomad.hcl
#
# Certificates: the Nomad Variable nomad/jobs/tagway/tls holds the PEM certificate chain (`cert`) and key
# (`key`). Templates write them to secrets/tls/ and a dynamic configuration file (local/dynamic/tls.yml)
# names them; tagway watches both, so `nomad var put` with a renewed certificate reaches new handshakes
# without a restart (change_mode = "noop"). With a host volume instead, mount it read-only and point
# certFile/keyFile at it.
#
# Consul token: never written here. The task reads it from the Nomad Variable nomad/jobs/tagway (the
# task's implicit workload-identity policy may read nomad/jobs/<job>), and a `template` with `env = true`
# hands it to tagway as TAGWAY_PROVIDERS_CONSULCATALOG_ENDPOINT_TOKEN, which overrides the file.
# Create the variable before the first run: a nomadVar lookup waits until the variable exists.
# With Vault instead, swap the `nomadVar` block for `{{ with secret "kv/data/tagway" }}…{{ .Data.data.consul_token }}{{ end }}`
# plus a `vault {}` block. With Consul workload identity (Nomad >= 1.7, `consul.task_identity` set on the
# servers and a Consul binding rule for this task) add `consul {}` to the task; Nomad then derives a
# per-task token and writes it to secrets/consul_token, which a template can read the same way.

# ACME (Let's Encrypt) in shared mode: every node of this system job shares one account and one set of
# certificates in Consul KV under tagway/acme/le/ (storage: consul), one node orders at a time (Consul session
# lock), every node serves new certificates within a second and answers the CA's HTTP-01 challenge on port 80,
# whichever node the CA reaches. A router opts in with the tag traefik.http.routers.<name>.tls.certresolver=le.
# The Consul token of the task then also needs:
#   key_prefix "tagway/acme/" { policy = "write" }   # account key and certificate keys live there: no one else
#   session_prefix ""         { policy = "write" }   # the ordering lock's session (on this node's name)
# Staging first: -var acme_ca_server=https://acme-staging-v02.api.letsencrypt.org/directory
variable "acme_email" {
  type        = string
  description = "ACME account email (Let's Encrypt expiry notices)"
  default     = "ops@example.com"
}

variable "acme_ca_server" {
  type        = string
  description = "ACME directory URL (Let's Encrypt production; the staging URL while testing)"
  default     = "https://acme-v02.api.letsencrypt.org/directory"
}

variable "version" {
  type        = string
  description = "tagway image tag (tagway:<version>)"
  default     = "0.1.0"
}

# Consul Connect (the mesh variant): `nomad job run -var connect=true …`. tagway then reaches services tagged
# traefik.consulcatalog.connect=true through their Envoy sidecars with mTLS, presenting the leaf certificate of
# the Consul service "tagway" (providers.consulCatalog.serviceName, set below; Traefik's default is "traefik").
# Each such service needs an intention that lets the gateway in, e.g. for deploy/examples/web-connect.nomad.hcl:
#   consul intention create -allow tagway web
# With ACLs, the Consul token of the task also needs `service "tagway" { policy = "write" }` (the leaf endpoint
# requires service:write on that name). Connect must be enabled in Consul (connect { enabled = true }).
variable "connect" {
  type        = bool
  description = "Consul Connect: route to Connect services through their sidecars with mTLS (the mesh variant)"
  default     = false
}

variable "otlp_traces_endpoint" {
  type        = string
  description = "OTLP/HTTP traces URL of the collector (full URL, including /v1/traces)"
  default     = "http://otel-collector.service.consul:4318/v1/traces"
}

job "tagway" {
  type     = "system"
  priority = 80

  # Only nodes of the edge class run a gateway; set `client { node_class = "edge" }` on them.
  constraint {
    attribute = "${node.class}"
    value     = "edge"
  }

  # One node at a time. Health comes from the Consul check below. auto_revert takes effect where the
  # Nomad release runs deployments for system jobs; older releases honour max_parallel and stagger only.
  update {
    max_parallel     = 1
    stagger          = "30s"
    health_check     = "checks"
    min_healthy_time = "10s"
    healthy_deadline = "2m"
    auto_revert      = true
  }

  group "tagway" {
    # Static host ports mapped into the container: the container listens on unprivileged ports, so the
    # image can run as a non-root user. `to` must equal the port of the entry point address below.
    network {
      port "web" {
        static = 80
        to     = 8000
      }
      port "websecure" {
        static = 443
        to     = 8443
      }
      port "admin" {
        static = 8080
        to     = 8080
      }
    }

    # Drain: on stop Nomad deregisters the service from Consul, waits shutdown_delay so load balancers
    # and health checkers stop sending new connections, then sends kill_signal; tagway finishes requests
    # in flight within the entry point's lifeCycle (requestAcceptGraceTimeout + graceTimeOut = 25s), and
    # kill_timeout (30s) leaves room for that before Nomad kills the task.
    shutdown_delay = "10s"

    service {
      name     = "tagway"
      provider = "consul"
      port     = "admin"
      # tagway must never route to itself through the catalog.
      tags = ["traefik.enable=false", "edge"]
      meta {
        version = "${var.version}"
      }

      check {
        name     = "tagway ping"
        type     = "http"
        port     = "admin"
        path     = "/ping"
        interval = "10s"
        timeout  = "2s"

        check_restart {
          limit = 3
          grace = "30s"
        }
      }
    }

    task "tagway" {
      driver       = "docker"
      kill_signal  = "SIGTERM"
      kill_timeout = "30s"

      config {
        image = "tagway:${var.version}"
        ports = ["web", "websecure", "admin"]
        init  = true
        # The docker driver mounts the task's local/ directory at /local (NOMAD_TASK_DIR), not under the
        # image's working directory, so the rendered local/tagway.yml is passed by that path.
        args = ["--configFile=${NOMAD_TASK_DIR}/tagway.yml"]
      }

      env {
        # The Consul agent on this node, reached over the host address (the container has its own loopback).
        CONSUL_HTTP_ADDR                   = "${attr.unique.network.ip-address}:8500"
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = "${var.otlp_traces_endpoint}"
        ACME_EMAIL                         = "${var.acme_email}"
        ACME_CA_SERVER                     = "${var.acme_ca_server}"
        # The mesh variant (see `variable "connect"`): static options by environment, over the file.
        TAGWAY_PROVIDERS_CONSULCATALOG_CONNECTAWARE = "${var.connect}"
        TAGWAY_PROVIDERS_CONSULCATALOG_SERVICENAME  = "tagway"
      }

      # Static configuration. Only `env` lookups, rendered by Nomad when the task starts.
      template {
        destination = "local/tagway.yml"
        change_mode = "restart"
        data        = <<EOT
entryPoints:
  web:
    address: ":8000"
    http:
      redirections:
        entryPoint: { to: websecure, scheme: https }
    transport:
      lifeCycle:
        requestAcceptGraceTimeout: 5s
        graceTimeOut: 20s
  websecure:
    address: ":8443"
    asDefault: true
    http:
      tls: {}
    http2: { maxConcurrentStreams: 250 }
    observability:
      tracing: true
      accessLogs: true
      metrics: true
      traceVerbosity: minimal
    transport:
      lifeCycle:
        requestAcceptGraceTimeout: 5s
        graceTimeOut: 20s
  traefik:
    address: ":8080"
providers:
  consulCatalog:
    endpoint:
      address: "{{ env "CONSUL_HTTP_ADDR" }}"
      scheme: http
    prefix: traefik
    exposedByDefault: false
    strictChecks: [passing, warning]
    watch: true
  file:
    directory: "{{ env "NOMAD_TASK_DIR" }}/dynamic"
    watch: true
tracing:
  serviceName: tagway
  sampleRate: 1.0
  resourceAttributes:
    service.instance.id: "{{ env "NOMAD_ALLOC_ID" }}"
    host.name: "{{ env "node.unique.name" }}"
  otlp:
    http:
      endpoint: "{{ env "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" }}"
certificatesResolvers:
  le:
    acme:
      email: "{{ env "ACME_EMAIL" }}"
      caServer: "{{ env "ACME_CA_SERVER" }}"
      storage: consul
      keyType: EC256
      httpChallenge:
        entryPoint: web
api:
  dashboard: true
  insecure: true
ping:
  entryPoint: traefik
log:
  level: INFO
  format: json
accessLog:
  format: json
workers: 2
EOT
      }

      # TLS: the certificate and key from the Nomad Variable nomad/jobs/tagway/tls (see the header); tagway
      # watches the files, so a renewal needs no restart.
      template {
        destination = "secrets/tls/cert.pem"
        change_mode = "noop"
        perms       = "0600"
        data        = <<EOT
{{ with nomadVar "nomad/jobs/tagway/tls" }}{{ .cert }}{{ end }}
EOT
      }
      template {
        destination = "secrets/tls/key.pem"
        change_mode = "noop"
        perms       = "0600"
        data        = <<EOT
{{ with nomadVar "nomad/jobs/tagway/tls" }}{{ .key }}{{ end }}
EOT
      }
      # Dynamic configuration read by the file provider: the certificate and the TLS options routers name
      # with tls.options=modern@file (options cannot come from Consul tags).
      template {
        destination = "local/dynamic/tls.yml"
        change_mode = "noop"
        data        = <<EOT
tls:
  certificates:
    - certFile: {{ env "NOMAD_SECRETS_DIR" }}/tls/cert.pem
      keyFile: {{ env "NOMAD_SECRETS_DIR" }}/tls/key.pem
  options:
    modern:
      minVersion: VersionTLS13
EOT
      }

      # The Consul ACL token, from a Nomad Variable into the task's environment (see the header).
      template {
        destination = "secrets/consul.env"
        env         = true
        change_mode = "restart"
        data        = <<EOT
{{ with nomadVar "nomad/jobs/tagway" }}TAGWAY_PROVIDERS_CONSULCATALOG_ENDPOINT_TOKEN={{ .consul_token }}{{ end }}
EOT
      }

      # memory_max needs memory oversubscription enabled on the cluster
      # (nomad operator scheduler set-config -memory-oversubscription=true); otherwise `memory` is the limit.
      resources {
        cpu        = 500
        memory     = 384
        memory_max = 768
      }
    }
  }
}
