import Metrics
import Prometheus
import Synchronization

/// The process's Prometheus registry, installed as the swift-metrics backend once.
public enum CacheMetrics {
    public static let registry = PrometheusCollectorRegistry()
    private static let bootstrapped = Mutex(false)

    /// Idempotent: tests build many servers in one process, and swift-metrics allows one bootstrap.
    public static func bootstrap() {
        bootstrapped.withLock { done in
            guard !done else { return }
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            done = true
        }
    }
}
