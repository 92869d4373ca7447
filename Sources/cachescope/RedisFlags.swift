import ArgumentParser
import CacheScopeKit
import RedisClient

/// Which Redis a command talks to and how it logs in: the same flags for `serve`, `run`, `watch`
/// and `stat`.
struct RedisFlags: ParsableArguments {
    @Option(
        help:
            "Redis URL: redis://[user:password@]host:port/db, rediss://… (TLS), sentinel://host:port[,host:port…]/MASTER[/db] or unix:///path (default: $REDIS_URL)."
    )
    var redis: String?

    @Option(name: .customLong("redis-ca"), help: "With rediss://: the CA certificate (PEM) that signed the server's certificate.")
    var redisCA: String?

    @Option(
        name: .customLong("redis-cert"), help: "With rediss://: a client certificate (PEM) for mutual TLS; needs --redis-key.")
    var redisCert: String?

    @Option(name: .customLong("redis-key"), help: "With rediss://: the client certificate's private key (PEM).")
    var redisKey: String?

    @Flag(
        name: .customLong("redis-tls-insecure"),
        help: "With rediss://: accept any server certificate. For tests only: anyone on the path can read the cache.")
    var redisTLSInsecure = false

    func validate() throws {
        guard let endpoint = try given() else {
            if usesTLSFlags {
                throw ValidationError("--redis-ca, --redis-cert, --redis-key and --redis-tls-insecure need --redis rediss://…")
            }
            return
        }
        if usesTLSFlags, endpoint.tls == nil {
            throw ValidationError(
                "--redis-ca, --redis-cert, --redis-key and --redis-tls-insecure need a rediss:// URL in --redis")
        }
        if (redisCert == nil) != (redisKey == nil) {
            throw ValidationError("--redis-cert and --redis-key go together: give both for mutual TLS, or neither")
        }
        do {
            _ = try endpoint.tls?.makeContext()
        } catch {
            let flag =
                switch error.file {
                case .ca: "--redis-ca"
                case .certificate: "--redis-cert"
                case .key: "--redis-key"
                }
            throw ValidationError("\(flag): \(error)")
        }
    }

    private var usesTLSFlags: Bool { redisCA != nil || redisCert != nil || redisKey != nil || redisTLSInsecure }

    /// The endpoint of `--redis` (else `$REDIS_URL`) with the TLS flags applied; nil if neither is set.
    func given() throws -> RedisEndpoint? {
        let parsed: RedisEndpoint?
        do {
            parsed = try RedisChoice.endpoint(flag: redis)
        } catch {
            throw ValidationError("\(error)")
        }
        guard var endpoint = parsed else { return nil }
        if endpoint.tls != nil {
            endpoint.tls = RedisTLS(caFile: redisCA, certificateFile: redisCert, keyFile: redisKey, verify: !redisTLSInsecure)
        }
        return endpoint
    }

    /// The Redis that servers elsewhere share (`watch`, `stat`): as given, else the local default.
    func shared() throws -> RedisEndpoint {
        try given() ?? RedisEndpoint(address: .tcp(host: "127.0.0.1", port: 6379))
    }
}
