package io.pulse.node;

import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pulse.config.PulseConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.core.transport.Transport;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * Starts the clustered Vert.x of a node: a Hazelcast member configured by {@link HazelcastConfigs},
 * the event bus on {@code cluster.host}, the {@link NodeTransport}, and optionally Micrometer
 * metrics into a Prometheus registry.
 */
final class ClusteredVertx {

  private ClusteredVertx() {
  }

  /**
   * Joins the Pulse cluster of {@code cfg}. {@code metrics}: the registry for Vert.x's meters, or
   * null for none. {@code simulatorCandidate}: see {@link HazelcastConfigs#build}.
   */
  static Future<Vertx> start(PulseConfig cfg, PrometheusMeterRegistry metrics, boolean simulatorCandidate) {
    return start(cfg, metrics, new HazelcastClusterManager(HazelcastConfigs.build(cfg, simulatorCandidate)),
        NodeTransport.of(cfg.nodeTransport()));
  }

  /** The same with the cluster manager and transport given: the caller keeps them (its Hazelcast member). */
  static Future<Vertx> start(PulseConfig cfg, PrometheusMeterRegistry metrics, HazelcastClusterManager manager,
      Transport transport) {
    VertxOptions options = new VertxOptions()
        .setEventBusOptions(new EventBusOptions().setHost(cfg.clusterHost()).setPort(0));
    VertxBuilder builder = Vertx.builder().withClusterManager(manager).withTransport(transport);
    if (metrics != null) {
      options.setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
          .setJvmMetricsEnabled(true)
          .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true).setPublishQuantiles(false)));
      builder.withMetrics(new MicrometerMetricsFactory(metrics));
    }
    return builder.with(options).buildClustered();
  }

  /**
   * A Prometheus registry for one node. Three of Micrometer's JVM meters are left out because
   * their names ({@code jvm_compilation_time_ms_total}, {@code process_cpu_time_ns_total},
   * {@code system_cpu_count}) fail {@code promtool check metrics}; {@code process_cpu_usage} remains.
   */
  static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(MeterFilter.denyNameStartsWith("jvm.compilation"));
    registry.config().meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"));
    registry.config().meterFilter(MeterFilter.denyNameStartsWith("system.cpu.count"));
    return registry;
  }
}
