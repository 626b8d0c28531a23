/**
 * Traefik v3.7.9 `pkg/config/label/label_test.go` TestDecodeConfiguration, as data: its one label map, split per
 * HTTP item (each middleware, router and service is a case: the labels naming it, and the item Traefik's expected
 * configuration holds, in tagway's field spelling; durations stay strings as tagway keeps them). The TCP, UDP and
 * `tls.stores.default` labels of the same map are listed in `skipped` (tagway builds no TCP/UDP routing and reads no
 * TLS store from tags). Facts only; no Traefik code.
*/
export interface TraefikLabelCase { desc: string; kind: 'routers' | 'services' | 'middlewares'; name: string; labels: Record<string, string>; expected: unknown }

export const decodeCases: TraefikLabelCase[] = [
  {
    desc: 'TestDecodeConfiguration: middleware Middleware0', kind: 'middlewares', name: 'Middleware0',
    labels: {
      'traefik.http.middlewares.Middleware0.addprefix.prefix': 'foobar'
    },
    expected: {
      'addPrefix': {
        'prefix': 'foobar'
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware1', kind: 'middlewares', name: 'Middleware1',
    labels: {
      'traefik.http.middlewares.Middleware1.basicauth.headerfield': 'foobar',
      'traefik.http.middlewares.Middleware1.basicauth.realm': 'foobar',
      'traefik.http.middlewares.Middleware1.basicauth.removeheader': 'true',
      'traefik.http.middlewares.Middleware1.basicauth.users': 'foobar, fiibar',
      'traefik.http.middlewares.Middleware1.basicauth.usersfile': 'foobar'
    },
    expected: {
      'basicAuth': {
        'headerField': 'foobar',
        'realm': 'foobar',
        'removeHeader': true,
        'users': [
          'foobar',
          'fiibar'
        ],
        'usersFile': 'foobar'
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware2', kind: 'middlewares', name: 'Middleware2',
    labels: {
      'traefik.http.middlewares.Middleware2.buffering.maxrequestbodybytes': '42',
      'traefik.http.middlewares.Middleware2.buffering.maxresponsebodybytes': '42',
      'traefik.http.middlewares.Middleware2.buffering.memrequestbodybytes': '42',
      'traefik.http.middlewares.Middleware2.buffering.memresponsebodybytes': '42',
      'traefik.http.middlewares.Middleware2.buffering.retryexpression': 'foobar'
    },
    expected: {
      'buffering': {
        'maxRequestBodyBytes': 42,
        'memRequestBodyBytes': 42,
        'maxResponseBodyBytes': 42,
        'memResponseBodyBytes': 42,
        'retryExpression': 'foobar'
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware3', kind: 'middlewares', name: 'Middleware3',
    labels: {
      'traefik.http.middlewares.Middleware3.chain.middlewares': 'foobar, fiibar'
    },
    expected: {
      'chain': {
        'middlewares': [
          'foobar',
          'fiibar'
        ]
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware4', kind: 'middlewares', name: 'Middleware4',
    labels: {
      'traefik.http.middlewares.Middleware4.circuitbreaker.expression': 'foobar',
      'traefik.HTTP.Middlewares.Middleware4.circuitbreaker.checkperiod': '1s',
      'traefik.HTTP.Middlewares.Middleware4.circuitbreaker.fallbackduration': '1s',
      'traefik.HTTP.Middlewares.Middleware4.circuitbreaker.recoveryduration': '1s',
      'traefik.HTTP.Middlewares.Middleware4.circuitbreaker.responsecode': '403'
    },
    expected: {
      'circuitBreaker': {
        'checkPeriod': '1s',
        'fallbackDuration': '1s',
        'recoveryDuration': '1s',
        'responseCode': 403,
        'expression': 'foobar'
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware5', kind: 'middlewares', name: 'Middleware5',
    labels: {
      'traefik.http.middlewares.Middleware5.digestauth.headerfield': 'foobar',
      'traefik.http.middlewares.Middleware5.digestauth.realm': 'foobar',
      'traefik.http.middlewares.Middleware5.digestauth.removeheader': 'true',
      'traefik.http.middlewares.Middleware5.digestauth.users': 'foobar, fiibar',
      'traefik.http.middlewares.Middleware5.digestauth.usersfile': 'foobar'
    },
    expected: {
      'digestAuth': {
        'users': [
          'foobar',
          'fiibar'
        ],
        'usersFile': 'foobar',
        'removeHeader': true,
        'realm': 'foobar',
        'headerField': 'foobar'
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware6', kind: 'middlewares', name: 'Middleware6',
    labels: {
      'traefik.http.middlewares.Middleware6.errors.query': 'foobar',
      'traefik.http.middlewares.Middleware6.errors.service': 'foobar',
      'traefik.http.middlewares.Middleware6.errors.status': 'foobar, fiibar'
    },
    expected: {
      'errors': {
        'status': [
          'foobar',
          'fiibar'
        ],
        'service': 'foobar',
        'query': 'foobar'
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware7', kind: 'middlewares', name: 'Middleware7',
    labels: {
      'traefik.http.middlewares.Middleware7.forwardauth.address': 'foobar',
      'traefik.http.middlewares.Middleware7.forwardauth.authresponseheaders': 'foobar, fiibar',
      'traefik.http.middlewares.Middleware7.forwardauth.authrequestheaders': 'foobar, fiibar',
      'traefik.http.middlewares.Middleware7.forwardauth.tls.ca': 'foobar',
      'traefik.http.middlewares.Middleware7.forwardauth.tls.caoptional': 'true',
      'traefik.http.middlewares.Middleware7.forwardauth.tls.cert': 'foobar',
      'traefik.http.middlewares.Middleware7.forwardauth.tls.insecureskipverify': 'true',
      'traefik.http.middlewares.Middleware7.forwardauth.tls.key': 'foobar',
      'traefik.http.middlewares.Middleware7.forwardauth.trustforwardheader': 'true',
      'traefik.http.middlewares.Middleware7.forwardauth.forwardbody': 'true',
      'traefik.http.middlewares.Middleware7.forwardauth.maxbodysize': '42',
      'traefik.http.middlewares.Middleware7.forwardauth.preserveRequestMethod': 'true',
      'traefik.http.middlewares.Middleware7.forwardauth.maxresponsebodysize': '42'
    },
    expected: {
      'forwardAuth': {
        'address': 'foobar',
        'authRequestHeaders': [
          'foobar',
          'fiibar'
        ],
        'authResponseHeaders': [
          'foobar',
          'fiibar'
        ],
        'forwardBody': true,
        'maxBodySize': 42,
        'maxResponseBodySize': 42,
        'preserveRequestMethod': true,
        'tls': {
          'ca': 'foobar',
          'caOptional': true,
          'cert': 'foobar',
          'insecureSkipVerify': true,
          'key': 'foobar'
        },
        'trustForwardHeader': true
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware8', kind: 'middlewares', name: 'Middleware8',
    labels: {
      'traefik.http.middlewares.Middleware8.headers.accesscontrolallowcredentials': 'true',
      'traefik.http.middlewares.Middleware8.headers.allowedhosts': 'foobar, fiibar',
      'traefik.http.middlewares.Middleware8.headers.accesscontrolallowheaders': 'X-foobar, X-fiibar',
      'traefik.http.middlewares.Middleware8.headers.accesscontrolallowmethods': 'GET, PUT',
      'traefik.http.middlewares.Middleware8.headers.accesscontrolalloworiginList': 'foobar, fiibar',
      'traefik.http.middlewares.Middleware8.headers.accesscontrolalloworiginListRegex': 'foobar, fiibar',
      'traefik.http.middlewares.Middleware8.headers.accesscontrolexposeheaders': 'X-foobar, X-fiibar',
      'traefik.http.middlewares.Middleware8.headers.accesscontrolmaxage': '200',
      'traefik.http.middlewares.Middleware8.headers.addvaryheader': 'true',
      'traefik.http.middlewares.Middleware8.headers.browserxssfilter': 'true',
      'traefik.http.middlewares.Middleware8.headers.contentsecuritypolicy': 'foobar',
      'traefik.http.middlewares.Middleware8.headers.contentsecuritypolicyreportonly': 'foobar',
      'traefik.http.middlewares.Middleware8.headers.contenttypenosniff': 'true',
      'traefik.http.middlewares.Middleware8.headers.custombrowserxssvalue': 'foobar',
      'traefik.http.middlewares.Middleware8.headers.customframeoptionsvalue': 'foobar',
      'traefik.http.middlewares.Middleware8.headers.customrequestheaders.name0': 'foobar',
      'traefik.http.middlewares.Middleware8.headers.customrequestheaders.name1': 'foobar',
      'traefik.http.middlewares.Middleware8.headers.customresponseheaders.name0': 'foobar',
      'traefik.http.middlewares.Middleware8.headers.customresponseheaders.name1': 'foobar',
      'traefik.http.middlewares.Middleware8.headers.forcestsheader': 'true',
      'traefik.http.middlewares.Middleware8.headers.framedeny': 'true',
      'traefik.http.middlewares.Middleware8.headers.hostsproxyheaders': 'foobar, fiibar',
      'traefik.http.middlewares.Middleware8.headers.isdevelopment': 'true',
      'traefik.http.middlewares.Middleware8.headers.publickey': 'foobar',
      'traefik.http.middlewares.Middleware8.headers.referrerpolicy': 'foobar',
      'traefik.http.middlewares.Middleware8.headers.featurepolicy': 'foobar',
      'traefik.http.middlewares.Middleware8.headers.permissionspolicy': 'foobar',
      'traefik.http.middlewares.Middleware8.headers.sslforcehost': 'true',
      'traefik.http.middlewares.Middleware8.headers.sslhost': 'foobar',
      'traefik.http.middlewares.Middleware8.headers.sslproxyheaders.name0': 'foobar',
      'traefik.http.middlewares.Middleware8.headers.sslproxyheaders.name1': 'foobar',
      'traefik.http.middlewares.Middleware8.headers.sslredirect': 'true',
      'traefik.http.middlewares.Middleware8.headers.ssltemporaryredirect': 'true',
      'traefik.http.middlewares.Middleware8.headers.stsincludesubdomains': 'true',
      'traefik.http.middlewares.Middleware8.headers.stspreload': 'true',
      'traefik.http.middlewares.Middleware8.headers.stsseconds': '42'
    },
    expected: {
      'headers': {
        'accessControlAllowCredentials': true,
        'accessControlAllowHeaders': [
          'X-foobar',
          'X-fiibar'
        ],
        'accessControlAllowMethods': [
          'GET',
          'PUT'
        ],
        'accessControlAllowOriginList': [
          'foobar',
          'fiibar'
        ],
        'accessControlAllowOriginListRegex': [
          'foobar',
          'fiibar'
        ],
        'accessControlExposeHeaders': [
          'X-foobar',
          'X-fiibar'
        ],
        'accessControlMaxAge': 200,
        'addVaryHeader': true,
        'allowedHosts': [
          'foobar',
          'fiibar'
        ],
        'browserXssFilter': true,
        'contentSecurityPolicy': 'foobar',
        'contentTypeNosniff': true,
        'customBrowserXSSValue': 'foobar',
        'customFrameOptionsValue': 'foobar',
        'customRequestHeaders': {
          'name0': 'foobar',
          'name1': 'foobar'
        },
        'customResponseHeaders': {
          'name0': 'foobar',
          'name1': 'foobar'
        },
        'forceSTSHeader': true,
        'frameDeny': true,
        'hostsProxyHeaders': [
          'foobar',
          'fiibar'
        ],
        'isDevelopment': true,
        'permissionsPolicy': 'foobar',
        'referrerPolicy': 'foobar',
        'sslRedirect': true,
        'stsIncludeSubdomains': true,
        'stsPreload': true,
        'stsSeconds': 42,
        'sslTemporaryRedirect': true,
        'sslHost': 'foobar',
        'sslProxyHeaders': {
          'name0': 'foobar',
          'name1': 'foobar'
        },
        'sslForceHost': true,
        'contentSecurityPolicyReportOnly': 'foobar',
        'publicKey': 'foobar',
        'featurePolicy': 'foobar'
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware9', kind: 'middlewares', name: 'Middleware9',
    labels: {
      'traefik.http.middlewares.Middleware9.ipallowlist.ipstrategy.depth': '42',
      'traefik.http.middlewares.Middleware9.ipallowlist.ipstrategy.excludedips': 'foobar, fiibar',
      'traefik.http.middlewares.Middleware9.ipallowlist.ipstrategy.ipv6subnet': '42',
      'traefik.http.middlewares.Middleware9.ipallowlist.sourcerange': 'foobar, fiibar'
    },
    expected: {
      'ipAllowList': {
        'ipStrategy': {
          'depth': 42,
          'excludedIPs': [
            'foobar',
            'fiibar'
          ],
          'ipv6Subnet': 42
        },
        'sourceRange': [
          'foobar',
          'fiibar'
        ]
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware10', kind: 'middlewares', name: 'Middleware10',
    labels: {
      'traefik.http.middlewares.Middleware10.inflightreq.amount': '42',
      'traefik.http.middlewares.Middleware10.inflightreq.sourcecriterion.ipstrategy.depth': '42',
      'traefik.http.middlewares.Middleware10.inflightreq.sourcecriterion.ipstrategy.excludedips': 'foobar, fiibar',
      'traefik.http.middlewares.Middleware10.inflightreq.sourcecriterion.ipstrategy.ipv6subnet': '42',
      'traefik.http.middlewares.Middleware10.inflightreq.sourcecriterion.requestheadername': 'foobar',
      'traefik.http.middlewares.Middleware10.inflightreq.sourcecriterion.requesthost': 'true'
    },
    expected: {
      'inFlightReq': {
        'amount': 42,
        'sourceCriterion': {
          'ipStrategy': {
            'depth': 42,
            'excludedIPs': [
              'foobar',
              'fiibar'
            ],
            'ipv6Subnet': 42
          },
          'requestHeaderName': 'foobar',
          'requestHost': true
        }
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware11', kind: 'middlewares', name: 'Middleware11',
    labels: {
      'traefik.http.middlewares.Middleware11.passtlsclientcert.info.notafter': 'true',
      'traefik.http.middlewares.Middleware11.passtlsclientcert.info.notbefore': 'true',
      'traefik.http.middlewares.Middleware11.passtlsclientcert.info.sans': 'true',
      'traefik.http.middlewares.Middleware11.passTLSClientCert.info.serialNumber': 'true',
      'traefik.http.middlewares.Middleware11.passtlsclientcert.info.subject.commonname': 'true',
      'traefik.http.middlewares.Middleware11.passtlsclientcert.info.subject.country': 'true',
      'traefik.http.middlewares.Middleware11.passtlsclientcert.info.subject.domaincomponent': 'true',
      'traefik.http.middlewares.Middleware11.passtlsclientcert.info.subject.locality': 'true',
      'traefik.http.middlewares.Middleware11.passtlsclientcert.info.subject.organization': 'true',
      'traefik.http.middlewares.Middleware11.passtlsclientcert.info.subject.organizationalunit': 'true',
      'traefik.http.middlewares.Middleware11.passtlsclientcert.info.subject.province': 'true',
      'traefik.http.middlewares.Middleware11.passtlsclientcert.info.subject.serialnumber': 'true',
      'traefik.http.middlewares.Middleware11.passtlsclientcert.info.issuer.commonname': 'true',
      'traefik.http.middlewares.Middleware11.passtlsclientcert.info.issuer.country': 'true',
      'traefik.http.middlewares.Middleware11.passtlsclientcert.info.issuer.domaincomponent': 'true',
      'traefik.http.middlewares.Middleware11.passtlsclientcert.info.issuer.locality': 'true',
      'traefik.http.middlewares.Middleware11.passtlsclientcert.info.issuer.organization': 'true',
      'traefik.http.middlewares.Middleware11.passtlsclientcert.info.issuer.province': 'true',
      'traefik.http.middlewares.Middleware11.passtlsclientcert.info.issuer.serialnumber': 'true',
      'traefik.http.middlewares.Middleware11.passtlsclientcert.pem': 'true'
    },
    expected: {
      'passTLSClientCert': {
        'pem': true,
        'info': {
          'notAfter': true,
          'notBefore': true,
          'serialNumber': true,
          'sans': true,
          'subject': {
            'country': true,
            'province': true,
            'locality': true,
            'organization': true,
            'organizationalUnit': true,
            'commonName': true,
            'serialNumber': true,
            'domainComponent': true
          },
          'issuer': {
            'country': true,
            'province': true,
            'locality': true,
            'organization': true,
            'commonName': true,
            'serialNumber': true,
            'domainComponent': true
          }
        }
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware12', kind: 'middlewares', name: 'Middleware12',
    labels: {
      'traefik.http.middlewares.Middleware12.ratelimit.average': '42',
      'traefik.http.middlewares.Middleware12.ratelimit.period': '1s',
      'traefik.http.middlewares.Middleware12.ratelimit.burst': '42',
      'traefik.http.middlewares.Middleware12.ratelimit.sourcecriterion.requestheadername': 'foobar',
      'traefik.http.middlewares.Middleware12.ratelimit.sourcecriterion.requesthost': 'true',
      'traefik.http.middlewares.Middleware12.ratelimit.sourcecriterion.ipstrategy.depth': '42',
      'traefik.http.middlewares.Middleware12.ratelimit.sourcecriterion.ipstrategy.excludedips': 'foobar, foobar',
      'traefik.http.middlewares.Middleware12.ratelimit.sourcecriterion.ipstrategy.ipv6subnet': '42'
    },
    expected: {
      'rateLimit': {
        'average': 42,
        'burst': 42,
        'period': '1s',
        'sourceCriterion': {
          'ipStrategy': {
            'depth': 42,
            'excludedIPs': [
              'foobar',
              'foobar'
            ],
            'ipv6Subnet': 42
          },
          'requestHeaderName': 'foobar',
          'requestHost': true
        }
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware13', kind: 'middlewares', name: 'Middleware13',
    labels: {
      'traefik.http.middlewares.Middleware13.redirectregex.permanent': 'true',
      'traefik.http.middlewares.Middleware13.redirectregex.regex': 'foobar',
      'traefik.http.middlewares.Middleware13.redirectregex.replacement': 'foobar'
    },
    expected: {
      'redirectRegex': {
        'permanent': true,
        'regex': 'foobar',
        'replacement': 'foobar'
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware13b', kind: 'middlewares', name: 'Middleware13b',
    labels: {
      'traefik.http.middlewares.Middleware13b.redirectscheme.scheme': 'https',
      'traefik.http.middlewares.Middleware13b.redirectscheme.port': '80',
      'traefik.http.middlewares.Middleware13b.redirectscheme.permanent': 'true'
    },
    expected: {
      'redirectScheme': {
        'permanent': true,
        'port': '80',
        'scheme': 'https'
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware14', kind: 'middlewares', name: 'Middleware14',
    labels: {
      'traefik.http.middlewares.Middleware14.replacepath.path': 'foobar'
    },
    expected: {
      'replacePath': {
        'path': 'foobar'
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware15', kind: 'middlewares', name: 'Middleware15',
    labels: {
      'traefik.http.middlewares.Middleware15.replacepathregex.regex': 'foobar',
      'traefik.http.middlewares.Middleware15.replacepathregex.replacement': 'foobar'
    },
    expected: {
      'replacePathRegex': {
        'regex': 'foobar',
        'replacement': 'foobar'
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware16', kind: 'middlewares', name: 'Middleware16',
    labels: {
      'traefik.http.middlewares.Middleware16.retry.attempts': '42',
      'traefik.http.middlewares.Middleware16.retry.initialinterval': '1s',
      'traefik.http.middlewares.Middleware16.retry.timeout': '1s',
      'traefik.http.middlewares.Middleware16.retry.maxRequestBodyBytes': '42',
      'traefik.http.middlewares.Middleware16.retry.status': 'foobar, foobar',
      'traefik.http.middlewares.Middleware16.retry.disableRetryOnNetworkError': 'true',
      'traefik.http.middlewares.Middleware16.retry.retryNonIdempotentMethod': 'true'
    },
    expected: {
      'retry': {
        'attempts': 42,
        'initialInterval': '1s',
        'timeout': '1s',
        'maxRequestBodyBytes': 42,
        'status': [
          'foobar',
          'foobar'
        ],
        'disableRetryOnNetworkError': true,
        'retryNonIdempotentMethod': true
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware17', kind: 'middlewares', name: 'Middleware17',
    labels: {
      'traefik.http.middlewares.Middleware17.stripprefix.prefixes': 'foobar, fiibar',
      'traefik.http.middlewares.Middleware17.stripprefix.forceslash': 'true'
    },
    expected: {
      'stripPrefix': {
        'forceSlash': true,
        'prefixes': [
          'foobar',
          'fiibar'
        ]
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware18', kind: 'middlewares', name: 'Middleware18',
    labels: {
      'traefik.http.middlewares.Middleware18.stripprefixregex.regex': 'foobar, fiibar'
    },
    expected: {
      'stripPrefixRegex': {
        'regex': [
          'foobar',
          'fiibar'
        ]
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware19', kind: 'middlewares', name: 'Middleware19',
    labels: {
      'traefik.http.middlewares.Middleware19.compress.encodings': 'foobar, fiibar',
      'traefik.http.middlewares.Middleware19.compress.minresponsebodybytes': '42'
    },
    expected: {
      'compress': {
        'encodings': [
          'foobar',
          'fiibar'
        ],
        'minResponseBodyBytes': 42
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: middleware Middleware20', kind: 'middlewares', name: 'Middleware20',
    labels: {
      'traefik.http.middlewares.Middleware20.plugin.tomato.aaa': 'foo1',
      'traefik.http.middlewares.Middleware20.plugin.tomato.bbb': 'foo2'
    },
    expected: {
      'plugin': {
        'tomato': {
          'aaa': 'foo1',
          'bbb': 'foo2'
        }
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: router Router0', kind: 'routers', name: 'Router0',
    labels: {
      'traefik.http.routers.Router0.entrypoints': 'foobar, fiibar',
      'traefik.http.routers.Router0.middlewares': 'foobar, fiibar',
      'traefik.http.routers.Router0.priority': '42',
      'traefik.http.routers.Router0.rule': 'foobar',
      'traefik.http.routers.Router0.tls': 'true',
      'traefik.http.routers.Router0.service': 'foobar'
    },
    expected: {
      'entryPoints': [
        'foobar',
        'fiibar'
      ],
      'middlewares': [
        'foobar',
        'fiibar'
      ],
      'priority': 42,
      'rule': 'foobar',
      'service': 'foobar',
      'tls': {}
    },
  },
  {
    desc: 'TestDecodeConfiguration: router Router1', kind: 'routers', name: 'Router1',
    labels: {
      'traefik.http.routers.Router1.entrypoints': 'foobar, fiibar',
      'traefik.http.routers.Router1.middlewares': 'foobar, fiibar',
      'traefik.http.routers.Router1.priority': '42',
      'traefik.http.routers.Router1.rule': 'foobar',
      'traefik.http.routers.Router1.service': 'foobar'
    },
    expected: {
      'entryPoints': [
        'foobar',
        'fiibar'
      ],
      'middlewares': [
        'foobar',
        'fiibar'
      ],
      'priority': 42,
      'rule': 'foobar',
      'service': 'foobar'
    },
  },
  {
    desc: 'TestDecodeConfiguration: service Service0', kind: 'services', name: 'Service0',
    labels: {
      'traefik.http.services.Service0.loadbalancer.healthcheck.headers.name0': 'foobar',
      'traefik.http.services.Service0.loadbalancer.healthcheck.headers.name1': 'foobar',
      'traefik.http.services.Service0.loadbalancer.healthcheck.hostname': 'foobar',
      'traefik.http.services.Service0.loadbalancer.healthcheck.interval': '1s',
      'traefik.http.services.Service0.loadbalancer.healthcheck.unhealthyinterval': '1s',
      'traefik.http.services.Service0.loadbalancer.healthcheck.path': 'foobar',
      'traefik.http.services.Service0.loadbalancer.healthcheck.method': 'foobar',
      'traefik.http.services.Service0.loadbalancer.healthcheck.status': '401',
      'traefik.http.services.Service0.loadbalancer.healthcheck.port': '42',
      'traefik.http.services.Service0.loadbalancer.healthcheck.scheme': 'foobar',
      'traefik.http.services.Service0.loadbalancer.healthcheck.mode': 'foobar',
      'traefik.http.services.Service0.loadbalancer.healthcheck.timeout': '1s',
      'traefik.http.services.Service0.loadbalancer.healthcheck.followredirects': 'true',
      'traefik.http.services.Service0.loadbalancer.passhostheader': 'true',
      'traefik.http.services.Service0.loadbalancer.responseforwarding.flushinterval': '1s',
      'traefik.http.services.Service0.loadbalancer.strategy': 'foobar',
      'traefik.http.services.Service0.loadbalancer.server.url': 'foobar',
      'traefik.http.services.Service0.loadbalancer.server.preservepath': 'true',
      'traefik.http.services.Service0.loadbalancer.server.scheme': 'foobar',
      'traefik.http.services.Service0.loadbalancer.server.port': '8080',
      'traefik.http.services.Service0.loadbalancer.sticky.cookie.name': 'foobar',
      'traefik.http.services.Service0.loadbalancer.sticky.cookie.secure': 'true',
      'traefik.http.services.Service0.loadbalancer.sticky.cookie.path': '/foobar',
      'traefik.http.services.Service0.loadbalancer.sticky.cookie.domain': 'foo.com',
      'traefik.http.services.Service0.loadbalancer.serversTransport': 'foobar'
    },
    expected: {
      'loadBalancer': {
        'healthCheck': {
          'followRedirects': true,
          'headers': {
            'name0': 'foobar',
            'name1': 'foobar'
          },
          'hostname': 'foobar',
          'interval': '1s',
          'method': 'foobar',
          'mode': 'foobar',
          'path': 'foobar',
          'port': 42,
          'scheme': 'foobar',
          'status': 401,
          'timeout': '1s',
          'unhealthyInterval': '1s'
        },
        'passHostHeader': true,
        'responseForwarding': {
          'flushInterval': '1s'
        },
        'servers': [
          {
            'port': '8080',
            'preservePath': true,
            'scheme': 'foobar',
            'url': 'foobar'
          }
        ],
        'serversTransport': 'foobar',
        'sticky': {
          'cookie': {
            'domain': 'foo.com',
            'name': 'foobar',
            'path': '/foobar',
            'secure': true
          }
        },
        'strategy': 'foobar'
      }
    },
  },
  {
    desc: 'TestDecodeConfiguration: service Service1', kind: 'services', name: 'Service1',
    labels: {
      'traefik.http.services.Service1.loadbalancer.healthcheck.headers.name0': 'foobar',
      'traefik.http.services.Service1.loadbalancer.healthcheck.headers.name1': 'foobar',
      'traefik.http.services.Service1.loadbalancer.healthcheck.hostname': 'foobar',
      'traefik.http.services.Service1.loadbalancer.healthcheck.interval': '1s',
      'traefik.http.services.Service1.loadbalancer.healthcheck.unhealthyinterval': '1s',
      'traefik.http.services.Service1.loadbalancer.healthcheck.path': 'foobar',
      'traefik.http.services.Service1.loadbalancer.healthcheck.method': 'foobar',
      'traefik.http.services.Service1.loadbalancer.healthcheck.status': '401',
      'traefik.http.services.Service1.loadbalancer.healthcheck.port': '42',
      'traefik.http.services.Service1.loadbalancer.healthcheck.scheme': 'foobar',
      'traefik.http.services.Service1.loadbalancer.healthcheck.mode': 'foobar',
      'traefik.http.services.Service1.loadbalancer.healthcheck.timeout': '1s',
      'traefik.http.services.Service1.loadbalancer.healthcheck.followredirects': 'true',
      'traefik.http.services.Service1.loadbalancer.passhostheader': 'true',
      'traefik.http.services.Service1.loadbalancer.responseforwarding.flushinterval': '1s',
      'traefik.http.services.Service1.loadbalancer.strategy': 'foobar',
      'traefik.http.services.Service1.loadbalancer.server.url': 'foobar',
      'traefik.http.services.Service1.loadbalancer.server.preservepath': 'true',
      'traefik.http.services.Service1.loadbalancer.server.scheme': 'foobar',
      'traefik.http.services.Service1.loadbalancer.server.port': '8080',
      'traefik.http.services.Service1.loadbalancer.sticky': 'false',
      'traefik.http.services.Service1.loadbalancer.sticky.cookie.name': 'fui',
      'traefik.http.services.Service1.loadbalancer.serversTransport': 'foobar'
    },
    expected: {
      'loadBalancer': {
        'healthCheck': {
          'followRedirects': true,
          'headers': {
            'name0': 'foobar',
            'name1': 'foobar'
          },
          'hostname': 'foobar',
          'interval': '1s',
          'method': 'foobar',
          'mode': 'foobar',
          'path': 'foobar',
          'port': 42,
          'scheme': 'foobar',
          'status': 401,
          'timeout': '1s',
          'unhealthyInterval': '1s'
        },
        'passHostHeader': true,
        'responseForwarding': {
          'flushInterval': '1s'
        },
        'servers': [
          {
            'port': '8080',
            'preservePath': true,
            'scheme': 'foobar',
            'url': 'foobar'
          }
        ],
        'serversTransport': 'foobar',
        'strategy': 'foobar'
      }
    },
  },
];

/** The labels of TestDecodeConfiguration's map for parts tagway does not build (TCP, UDP, the default TLS store). */
export const skipped: Record<string, string> = {
  'traefik.tcp.middlewares.Middleware0.ipallowlist.sourcerange': 'foobar, fiibar',
  'traefik.tcp.middlewares.Middleware2.inflightconn.amount': '42',
  'traefik.tcp.routers.Router0.rule': 'foobar',
  'traefik.tcp.routers.Router0.priority': '42',
  'traefik.tcp.routers.Router0.entrypoints': 'foobar, fiibar',
  'traefik.tcp.routers.Router0.service': 'foobar',
  'traefik.tcp.routers.Router0.tls.passthrough': 'false',
  'traefik.tcp.routers.Router0.tls.options': 'foo',
  'traefik.tcp.routers.Router1.rule': 'foobar',
  'traefik.tcp.routers.Router1.priority': '42',
  'traefik.tcp.routers.Router1.entrypoints': 'foobar, fiibar',
  'traefik.tcp.routers.Router1.service': 'foobar',
  'traefik.tcp.routers.Router1.tls.options': 'foo',
  'traefik.tcp.routers.Router1.tls.passthrough': 'false',
  'traefik.tcp.services.Service0.loadbalancer.server.Port': '42',
  'traefik.tcp.services.Service0.loadbalancer.TerminationDelay': '42',
  'traefik.tcp.services.Service0.loadbalancer.proxyProtocol.version': '42',
  'traefik.tcp.services.Service0.loadbalancer.serversTransport': 'foo',
  'traefik.tcp.services.Service1.loadbalancer.server.Port': '42',
  'traefik.tcp.services.Service1.loadbalancer.TerminationDelay': '42',
  'traefik.tcp.services.Service1.loadbalancer.proxyProtocol': 'true',
  'traefik.tcp.services.Service1.loadbalancer.serversTransport': 'foo',
  'traefik.udp.routers.Router0.entrypoints': 'foobar, fiibar',
  'traefik.udp.routers.Router0.service': 'foobar',
  'traefik.udp.routers.Router1.entrypoints': 'foobar, fiibar',
  'traefik.udp.routers.Router1.service': 'foobar',
  'traefik.udp.services.Service0.loadbalancer.server.Port': '42',
  'traefik.udp.services.Service1.loadbalancer.server.Port': '42',
  'traefik.tls.stores.default.defaultgeneratedcert.resolver': 'foobar',
  'traefik.tls.stores.default.defaultgeneratedcert.domain.main': 'foobar',
  'traefik.tls.stores.default.defaultgeneratedcert.domain.sans': 'foobar, fiibar'
};

/**
 * The error cases of the parser `pkg/config/label` calls (github.com/traefik/paerser, `parser/*_test.go`): label
 * sets Traefik refuses. paerser's tests decode into small test structs; each case here puts the same fact on a
 * Traefik HTTP field of the same Go kind (named in `on`), or keeps paerser's keys where the fact is about the key.
 * `mentions` is a word tagway's error must hold for every refused label.
 */
export interface ParserErrorCase { desc: string; on: string; labels: Record<string, string>; mentions: string }

export const parserErrorCases: ParserErrorCase[] = [
  { desc: 'labels_decode_test.go TestDecodeToNode: invalid label, ending by a dot', on: 'the key', labels: { 'traefik.http.': 'bar' }, mentions: 'empty element' },
  {
    desc: 'labels_decode_test.go TestDecodeToNode: several entries, invalid slice syntax',
    on: 'the keys (an element that is only an index)',
    labels: { 'traefik.foo.[0].aaa': 'bar0', 'traefik.foo.[0].bbb': 'bur0', 'traefik.foo.[1].aaa': 'bar1', 'traefik.foo.[1].bbb': 'bur1' },
    mentions: '[',
  },
  { desc: 'nodes_metadata_test.go TestAddMetadata: level 2, struct pointer without children', on: 'a middleware section (addPrefix, a struct pointer)', labels: { 'traefik.http.middlewares.m.addprefix': '' }, mentions: 'addPrefix' },
  { desc: 'nodes_metadata_test.go TestAddMetadata: level 2, map without children', on: 'healthCheck.headers (a map of strings)', labels: { 'traefik.http.services.s.loadbalancer.healthcheck.headers': '' }, mentions: 'sub-keys' },
  { desc: 'element_fill_test.go TestFill: field not found', on: 'a router (no such field)', labels: { 'traefik.http.routers.r.foo': 'bar' }, mentions: 'unknown key "foo"' },
  { desc: 'element_fill_test.go TestFill: invalid int', on: 'router priority (int)', labels: { 'traefik.http.routers.r.priority': 'four' }, mentions: 'four' },
  { desc: 'element_fill_test.go TestFill: invalid int64', on: 'rateLimit.average (int64)', labels: { 'traefik.http.middlewares.m.ratelimit.average': 'four' }, mentions: 'four' },
  { desc: 'element_fill_test.go TestFill: invalid bool', on: 'loadBalancer.passHostHeader (bool)', labels: { 'traefik.http.services.s.loadbalancer.passhostheader': 'bool' }, mentions: 'bool' },
];

/**
 * paerser's `allowEmpty` cases (a section switched on by its value, as a router's `tls`): `parser/nodes_metadata_test.go`
 * (TestAddMetadata, which marks the node disabled or not) and `parser/element_fill_test.go` (TestFill, which then
 * creates the section or not), put on `traefik.http.routers.r.tls`. `tls` is the router's TLS section as decoded,
 * or undefined when Traefik leaves it unset.
 */
export interface AllowEmptyCase { desc: string; labels: Record<string, string>; tls: Record<string, unknown> | undefined }

export const allowEmptyCases: AllowEmptyCase[] = [
  { desc: 'nodes_metadata_test.go TestAddMetadata: level 2, struct with allowEmpty, value true', labels: { 'traefik.http.routers.r.tls': 'true' }, tls: {} },
  { desc: 'nodes_metadata_test.go TestAddMetadata: level 2, struct with allowEmpty, value true with case variation', labels: { 'traefik.http.routers.r.tls': 'TruE' }, tls: {} },
  { desc: 'nodes_metadata_test.go TestAddMetadata: level 2, struct with allowEmpty, value false', labels: { 'traefik.http.routers.r.tls': 'false' }, tls: undefined },
  { desc: 'nodes_metadata_test.go TestAddMetadata: level 2, struct with allowEmpty with children, value false', labels: { 'traefik.http.routers.r.tls': 'false', 'traefik.http.routers.r.tls.options': 'hii' }, tls: undefined },
  { desc: 'element_fill_test.go TestFill: pointer disabled false without children (a label with no value)', labels: { 'traefik.http.routers.r.tls': '' }, tls: {} },
  { desc: 'element_fill_test.go TestFill: pointer disabled true without children', labels: { 'traefik.http.routers.r.tls': 'false' }, tls: undefined },
  { desc: 'element_fill_test.go TestFill: pointer disabled true with children', labels: { 'traefik.http.routers.r.tls': 'false', 'traefik.http.routers.r.tls.options': 'huu', 'traefik.http.routers.r.tls.certresolver': '6' }, tls: undefined },
];
