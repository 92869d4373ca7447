import Hummingbird
import GRDB
import Prometheus
import ServiceLifecycle
