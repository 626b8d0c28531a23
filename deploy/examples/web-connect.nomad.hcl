# A Connect service behind tagway (the mesh variant of deploy/tagway.nomad.hcl, `-var connect=true`): the app
# listens only inside its network namespace; Envoy, its sidecar, accepts mTLS from mesh identities that an
# intention allows. tagway reads the sidecar from /v1/health/connect/web and sends to it with its own leaf.
#
#   nomad job run deploy/examples/web-connect.nomad.hcl
#   consul intention create -allow tagway web
#   curl -H 'Host: web.example.com' https://<edge node>/
#
# The sidecar_service sets no tags, so Nomad copies these to web-sidecar-proxy: with the connect tag that copy
# builds nothing (tagway reports a sidecar built as a plain service otherwise).
job "web-connect" {
  type = "service"

  group "web" {
    count = 2

    network {
      mode = "bridge"
    }

    service {
      name     = "web"
      provider = "consul"
      port     = "8080"
      tags = [
        "traefik.enable=true",
        "traefik.consulcatalog.connect=true",
        "traefik.http.routers.web.rule=Host(`web.example.com`)",
        "traefik.http.routers.web.entryPoints=websecure",
        "traefik.http.routers.web.tls=true",
        "traefik.http.routers.web.observability.tracing=true",
      ]

      connect {
        sidecar_service {}
      }
    }

    task "web" {
      driver = "docker"

      config {
        image = "traefik/whoami:v1.10"
        args  = ["--port", "8080"]
      }

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
