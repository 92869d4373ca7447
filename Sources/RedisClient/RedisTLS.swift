import NIOSSL

/// How a `rediss://` connection checks the server and proves itself: the CA that signed the
/// server's certificate (default: the system's roots), and a client certificate and key for
/// mutual TLS. `verify: false` accepts any server (tests only; callers log it loudly).
public struct RedisTLS: Sendable, Equatable {
    public var caFile: String?
    public var certificateFile: String?
    public var keyFile: String?
    public var verify = true

    public init(caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil, verify: Bool = true) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.verify = verify
    }

    /// Which of its files could not be used, and why.
    public struct Unusable: Error, CustomStringConvertible {
        public enum File: Sendable { case ca, certificate, key }
        public let file: File
        public let description: String
    }

    /// The context every connection of an endpoint shares; the files are read here, once.
    public func makeContext() throws(Unusable) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = verify ? .fullVerification : .none
        if let caFile {
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            } catch {
                throw Unusable(file: .ca, description: "cannot read the CA certificate '\(caFile)': \(error)")
            }
        }
        if let certificateFile {
            do {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
            } catch {
                throw Unusable(
                    file: .certificate, description: "cannot read the client certificate '\(certificateFile)': \(error)")
            }
        }
        if let keyFile {
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            } catch {
                throw Unusable(file: .key, description: "cannot read the client key '\(keyFile)': \(error)")
            }
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw Unusable(file: .certificate, description: "cannot set up TLS: \(error)")
        }
    }
}
