# An application behind tagway: a Consul service whose tags declare the route.
#
#   nomad job run deploy/examples/whoami.nomad.hcl
#   curl -H 'Host: whoami.example.com' http://<edge node>/
#
# tagway (exposedByDefault: false in deploy/tagway.nomad.hcl) picks up services tagged traefik.enable=true.
job "whoami" {
  type = "service"

  group "whoami" {
    count = 2

    network {
      port "http" {
        to = 80
      }
    }

    service {
      name     = "whoami"
      provider = "consul"
      port     = "http"
      tags = [
        "traefik.enable=true",
        "traefik.http.routers.whoami.rule=Host(`whoami.example.com`)",
        "traefik.http.routers.whoami.entryPoints=websecure",
        "traefik.http.routers.whoami.tls=true",
        # TLS options come from the file provider (deploy/tagway.nomad.hcl, local/dynamic/tls.yml): name the
        # provider, since an unqualified name in a tag means modern@consulcatalog, which cannot exist.
        "traefik.http.routers.whoami.tls.options=modern@file",
        "traefik.http.routers.whoami.tls.domains[0].main=example.com",
        "traefik.http.routers.whoami.tls.domains[0].sans=*.example.com",
        "traefik.http.routers.whoami.middlewares=whoami-headers",
        "traefik.http.routers.whoami.observability.tracing=true",
        "traefik.http.middlewares.whoami-headers.headers.customResponseHeaders.X-Served-By=tagway",
        "traefik.http.services.whoami.loadBalancer.passHostHeader=true",
      ]

      # Consul's check decides which instances tagway sees (strictChecks: passing, warning).
      check {
        name     = "whoami health"
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "whoami" {
      driver = "docker"

      config {
        image = "traefik/whoami:v1.10"
        ports = ["http"]
      }

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
