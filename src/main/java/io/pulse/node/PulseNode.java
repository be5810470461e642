package io.pulse.node;

import io.pulse.conn.NodeState;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent.LifecycleState;
import io.pulse.auth.Auth;
import io.pulse.auth.RevokeVerticle;
import io.pulse.auth.Revocations;
import io.pulse.chat.Presence;
import io.pulse.cluster.ClusterVerticle;
import io.pulse.cluster.Membership;
import io.pulse.config.PulseConfig;
import io.pulse.history.History;
import io.pulse.history.HistoryJanitorVerticle;
import io.pulse.http.HttpSseVerticle;
import io.pulse.metrics.PulseMetrics;
import io.pulse.net.IoUringSettings;
import io.pulse.publish.PublishVerticle;
import io.pulse.sensor.SensorSimulatorVerticle;
import io.pulse.ws.WsVerticle;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.transport.Transport;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.VertxBuilder;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The composition root of one Pulse node: a clustered Vert.x on Hazelcast, and its verticles
 * (publish API, HTTP/SSE, WebSocket, cluster view, sensor simulator). {@code Main} starts one; tests start
 * several in one JVM.
 */
public final class PulseNode {

  private static final Logger LOG = LoggerFactory.getLogger(PulseNode.class);

  private final PulseConfig cfg;
  private final Vertx vertx;
  private final String nodeId;
  private final PulseMetrics metrics;
  private final String transportName;
  private HazelcastInstance hz;
  private Membership membership;
  private String wsDeployment;
  private String httpDeployment;
  private volatile boolean closing;
  private SensorSimulatorVerticle sensors;

  private PulseNode(PulseConfig cfg, Vertx vertx, String nodeId, PulseMetrics metrics, String transportName) {
    this.cfg = cfg;
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.metrics = metrics;
    this.transportName = transportName;
  }

  /**
   * A clustered Vert.x that joins the Pulse cluster of {@code cfg}, with nothing deployed: what
   * an application embedding its own verticles (publishers, say) needs.
   */
  public static Future<Vertx> clusteredVertx(PulseConfig cfg, PrometheusMeterRegistry metrics) {
    return clusteredVertx(cfg, metrics, new HazelcastClusterManager(HazelcastConfigs.build(cfg, false)),
        transport(cfg.nodeTransport()));
  }

  private static Future<Vertx> clusteredVertx(PulseConfig cfg, PrometheusMeterRegistry metrics,
      HazelcastClusterManager manager, Transport transport) {
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
   * The socket transport for {@code node.transport}. {@code auto} takes io_uring where the kernel
   * allows it, else epoll, else Java NIO: on Linux the native ones cost less CPU per write (the
   * benchmark measured it; src/site/markdown/performance.md). A transport named explicitly but unavailable
   * falls back to NIO, with a warning from Vert.x. Applies {@link IoUringSettings} first.
   */
  public static Transport transport(String name) {
    IoUringSettings.apply();
    return switch (name) {
      case "io_uring" -> Transport.IO_URING;
      case "epoll" -> Transport.EPOLL;
      case "nio" -> Transport.NIO;
      default -> Transport.IO_URING != null && Transport.IO_URING.available() ? Transport.IO_URING
          : Transport.EPOLL != null && Transport.EPOLL.available() ? Transport.EPOLL : Transport.NIO;
    };
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

  /** Joins the cluster, deploys every verticle, and completes once the node is ready. */
  public static Future<PulseNode> start(PulseConfig cfg) {
    PrometheusMeterRegistry registry = newRegistry();
    boolean candidate = cfg.sensorsEnabled() && cfg.sensorsSingleton();
    HazelcastClusterManager manager = new HazelcastClusterManager(HazelcastConfigs.build(cfg, candidate));
    Transport transport = transport(cfg.nodeTransport());
    return clusteredVertx(cfg, registry, manager, transport).compose(vertx -> {
      HazelcastInstance hz = manager.getHazelcastInstance(); // the member the cluster manager started
      Membership membership = new Membership(hz);
      PulseNode node = new PulseNode(cfg, vertx, membership.localId(),
          new PulseMetrics(registry), transportName(vertx, transport));
      return node.deploy(hz, membership, registry)
          .recover(err -> vertx.close().transform(v -> Future.failedFuture(err)));
    });
  }

  private Future<PulseNode> deploy(HazelcastInstance hz, Membership membership, PrometheusMeterRegistry registry) {
    this.hz = hz;
    this.membership = membership;
    NodeState state = NodeState.of(vertx);
    state.maxConnections(cfg.maxConnections());
    Presence presence = new Presence(vertx, hz, membership);
    long startedAt = System.currentTimeMillis();
    // The shared Hazelcast objects first (creating their proxies may block), then the verticles.
    return vertx.executeBlocking(() -> new History(vertx, hz, cfg.historySize(), cfg.historyRetireCheckSeconds()), false)
        .compose(history -> vertx.executeBlocking(() -> new Revocations(hz, cfg.revokeSeconds()), false)
            .compose(revocations -> devSecret(hz)
                .map(secret -> Auth.create(vertx, cfg, secret, revocations))
                .compose(auth -> deployTransports(auth, history, revocations, presence, registry))))
        .compose(id -> vertx.deployVerticle(new ClusterVerticle(membership, metrics, new JsonObject()
            .put("id", nodeId).put("name", cfg.nodeName())
            .put("httpPort", httpPort()).put("wsPort", wsPort()).put("startedAt", startedAt))))
        .compose(id -> {
          if (!cfg.sensorsEnabled()) {
            return Future.succeededFuture(id);
          }
          sensors = new SensorSimulatorVerticle(membership, cfg.sensorsSingleton(), cfg.sensorsCount(),
              cfg.sensorsIntervalMs(), cfg.nodeName());
          return vertx.deployVerticle(sensors);
        })
        .map(id -> {
          membership.onMerged(() -> {
            LOG.warn("this node merged back into the cluster after a split brain (it was on the smaller side);"
                + " ending its client connections so that they resume against the merged history");
            vertx.eventBus().publish(io.pulse.messages.Addresses.REJOINED_LOCAL, null, io.pulse.messages.Addresses.LOCAL);
          });
          state.markReady();
          LOG.info("Pulse node '{}' ready: http {}:{} ({} instance(s)), ws {}:{}{} ({} instance(s)), cluster '{}' as {}"
              + " with {} member(s) {}, auth {}, transport {}",
              cfg.nodeName(), cfg.httpHost(), httpPort(), cfg.httpInstances(), cfg.wsHost(), wsPort(), cfg.wsPath(),
              cfg.wsInstances(), cfg.clusterName(), nodeId,
              membership.memberIds().size(), cfg.clusterMembers(), cfg.authMode(),
              transportName);
          if ("dev".equals(cfg.authMode())) {
            LOG.warn("auth.mode is 'dev': anyone may subscribe and publish to any channel. Use jwt in production.");
          }
          return this;
        });
  }

  /** The publish API, revocation, the history janitor, then the transports. */
  private Future<String> deployTransports(Auth auth, History history, Revocations revocations, Presence presence,
      PrometheusMeterRegistry registry) {
    Supplier<Deployable> http = HttpSseVerticle.instances(vertx, cfg, auth, history, presence, metrics, registry);
    Supplier<Deployable> ws = WsVerticle.instances(vertx, cfg, auth, history, presence, membership, metrics, nodeId);
    return vertx.deployVerticle(new PublishVerticle(history, metrics, cfg.maxMessageBytes()))
        .compose(id -> vertx.deployVerticle(new RevokeVerticle(revocations, metrics)))
        .compose(id -> vertx.deployVerticle(new HistoryJanitorVerticle(history, metrics, cfg.historyRetireCheckSeconds())))
        .compose(id -> vertx.deployVerticle(http, new DeploymentOptions().setInstances(cfg.httpInstances())))
        .onSuccess(id -> httpDeployment = id)
        .compose(id -> vertx.deployVerticle(ws, new DeploymentOptions().setInstances(cfg.wsInstances())))
        .onSuccess(id -> wsDeployment = id);
  }

  /**
   * The secret that signs dev-mode tokens: one per cluster (the first node's random value), so a
   * token minted on any node is accepted on every node. Unused in jwt mode.
   */
  private Future<String> devSecret(HazelcastInstance hz) {
    if (!"dev".equals(cfg.authMode()) || !cfg.jwtKey().isEmpty()) {
      return Future.succeededFuture("");
    }
    return vertx.executeBlocking(() -> {
      byte[] random = new byte[32];
      new java.security.SecureRandom().nextBytes(random);
      String mine = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(random);
      String existing = hz.<String, String>getMap("pulse.auth").putIfAbsent("dev-secret", mine);
      return existing != null ? existing : mine;
    }, false);
  }

  /**
   * "io_uring", "epoll" or "nio": the transport in use. Vert.x falls back to NIO when the one
   * asked for ({@code asked}, as {@link #transport} chose it) is unavailable, so a native one is in
   * use exactly when Vert.x says a native transport is enabled.
   */
  static String transportName(Vertx vertx, Transport asked) {
    return vertx.isNativeTransportEnabled() ? asked.name() : Transport.NIO.name();
  }

  /** Drains (readiness off, streams ended), leaves the cluster and closes. */
  public Future<Void> close() {
    closing = true;
    NodeState.of(vertx).markDraining();
    LOG.info("Pulse node '{}' shutting down", cfg.nodeName());
    // Transports first, while the publish API still runs: WebSocket clients get 1001 and their
    // rooms a leave, SSE streams end cleanly. Then the rest, and the cluster.
    Future<?> transports = (wsDeployment == null ? Future.succeededFuture() : vertx.undeploy(wsDeployment))
        .transform(ar -> httpDeployment == null ? Future.succeededFuture() : vertx.undeploy(httpDeployment));
    // Not chained with compose: a future bound to an event loop never completes once Vert.x has
    // closed its event loops; this promise belongs to no context.
    Promise<Void> closed = Promise.promise();
    transports.onComplete(ar -> vertx.close().onComplete(closed));
    return closed.future();
  }

  /**
   * A guard that runs {@code onExpelled} when this process was frozen longer than the cluster's
   * heartbeat timeout ({@code hazelcast.max.no.heartbeat.seconds}) and the cluster dropped it.
   */
  public PauseGuard pauseGuard(Runnable onExpelled) {
    String configured = hz.getConfig().getProperty("hazelcast.max.no.heartbeat.seconds");
    long seconds = configured == null ? 60 : Long.parseLong(configured.trim());
    return new PauseGuard(seconds * 1000, membership::memberIds, onExpelled);
  }

  /**
   * Runs {@code onLost} once if this node's Hazelcast member stops other than through
   * {@link #close}: terminated by Hazelcast itself (its out-of-memory handler, a failed merge)
   * or by anything else in the process. The node is then out of the cluster for good: it can
   * neither assign ids nor reach the other nodes, so it should not go on serving as ready.
   * {@code onLost} runs on a thread of its own (not Hazelcast's, which is stopping the member).
   */
  public void onMemberLost(Runnable onLost) {
    AtomicBoolean fired = new AtomicBoolean();
    hz.getLifecycleService().addLifecycleListener(event -> {
      LifecycleState state = event.getState();
      boolean stopping = state == LifecycleState.SHUTTING_DOWN || state == LifecycleState.SHUTDOWN;
      if (stopping && !closing && fired.compareAndSet(false, true)) {
        LOG.error("this node's Hazelcast member stopped ({}) while the node was running; leaving, to be restarted",
            state);
        new Thread(onLost, "pulse-member-lost").start();
      }
    });
  }

  public Vertx vertx() {
    return vertx;
  }

  public String nodeId() {
    return nodeId;
  }

  public PulseConfig config() {
    return cfg;
  }

  public PulseMetrics metrics() {
    return metrics;
  }

  public int httpPort() {
    return NodeState.of(vertx).httpPort();
  }

  public int wsPort() {
    return NodeState.of(vertx).wsPort();
  }

  /** True while this node runs the sensor simulator. Read from tests; a snapshot. */
  public boolean runsSensors() {
    return sensors != null && sensors.running();
  }
}
