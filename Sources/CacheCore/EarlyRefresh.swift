import Foundation

/// Probabilistic early refresh, XFetch (Vattani, Chierichetti and Lowenstein, "Optimal
/// Probabilistic Cache Stampede Prevention", VLDB 2015): a hit refreshes its entry before the TTL
/// runs out with a probability that rises as expiry nears, sooner for a key that is slow to load.
/// A hit at time `now` refreshes when `now - loadTime × beta × ln(random) ≥ expiry`, `random`
/// uniform in (0, 1]. With `beta` 1 a key is refreshed about one load time early; more than 1
/// refreshes earlier, less later. Hot keys are thus refreshed once, before anyone misses them.
public struct EarlyRefresh: Sendable, Equatable {
    public let beta: Double

    /// `beta` must be positive: zero would never refresh early, which is the option turned off.
    public init?(beta: Double) {
        guard beta > 0, beta.isFinite else { return nil }
        self.beta = beta
    }

    /// Whether a hit at `now` refreshes an entry whose TTL ends at `expiry` and whose last load
    /// took `loadTime`. `random` is the uniform draw, passed in so tests can fix it.
    public func shouldRefresh(now: Duration, expiry: Duration, loadTime: Duration, random: Double) -> Bool {
        guard now < expiry else { return false }  // Expired: grace or a miss handles it.
        let draw = min(max(random, .leastNonzeroMagnitude), 1)
        let lead = Self.seconds(loadTime) * beta * -log(draw)
        return Self.seconds(now) + lead >= Self.seconds(expiry)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
