package io.pulse.http;

import io.pulse.conn.Connections;
import io.pulse.conn.Disconnect;
import io.pulse.messages.Addresses;
import io.pulse.chat.Presence;
import io.pulse.auth.Auth;
import io.pulse.bridge.EventBusBridge;
import io.pulse.cluster.ConnectionReport;
import io.pulse.config.PulseConfig;
import io.pulse.history.History;
import io.pulse.hub.HistoryGaps;
import io.pulse.hub.FanOut;
import io.pulse.hub.Hub;
import io.pulse.metrics.MetricsRoutes;
import io.pulse.metrics.PulseMetrics;
import io.pulse.conn.NodeState;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.core.http.MimeMapping;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The HTTP port (SPEC §3, §5): its server, its router and Server-Sent Events ({@code GET /events},
 * {@link SseHandler}). The other routes are mounted by the class that serves them:
 * <ul>
 *   <li>{@link PublishApi}: {@code POST /api/publish};</li>
 *   <li>{@link HistoryApi}: {@code GET /api/channels/{c}/history}, with its long poll ({@link LongPoll});</li>
 *   <li>{@link ClusterApi}: {@code GET /api/cluster}, {@code GET /api/config}, {@code GET /api/rooms/{room}/presence};</li>
 *   <li>{@link TokenApi}: {@code POST /api/token}, {@code POST /api/revoke};</li>
 *   <li>{@link HealthRoutes}: {@code GET /health}, {@code GET /ready};</li>
 *   <li>{@link MetricsRoutes}: {@code GET /metrics};</li>
 *   <li>{@link EventBusBridge}: the event-bus bridge under {@code /eventbus} (when {@code bridge.enabled});</li>
 *   <li>here: the page and its files from {@code webroot} ({@code GET /}), and JSON errors for
 *   the rest ({@link HttpErrors}).</li>
 * </ul>
 *
 * <p>SSE, the API and the bridge share this instance's hub: it listens on {@code pulse.ch.*} /
 * {@code pulse.pat.*}. Requests {@link Addresses#PUBLISH}, {@link Addresses#CLUSTER_VIEW} and
 * {@link Addresses#REVOKE}, and reports its counts on {@link Addresses#NODE_CONNECTIONS}.
 */
public final class HttpSseVerticle extends VerticleBase {

  private final PulseConfig cfg;
  private final Auth auth;
  private final History history;
  private final Presence presence;
  private final PulseMetrics metrics;
  private final PrometheusMeterRegistry registry;
  private final FanOut fanOut;
  private final int part;
  private SseHandler sse;
  private Connections connections;
  private EventBusBridge bridge;
  private HttpServer server;
  private ConnectionReport report;

  HttpSseVerticle(PulseConfig cfg, Auth auth, History history, Presence presence, PulseMetrics metrics,
      PrometheusMeterRegistry registry, FanOut fanOut, int part) {
    this.cfg = cfg;
    this.auth = auth;
    this.history = history;
    this.presence = presence;
    this.metrics = metrics;
    this.registry = registry;
    this.fanOut = fanOut;
    this.part = part;
  }

  /**
   * What the node deploys: {@code http.instances} instances of this verticle, one per event loop,
   * all on the HTTP port (accepted connections are dealt out to them in turn), sharing one
   * clustered consumer per address.
   */
  public static Supplier<Deployable> instances(Vertx vertx, PulseConfig cfg, Auth auth, History history,
      Presence presence, PulseMetrics metrics, PrometheusMeterRegistry registry) {
    FanOut fanOut = new FanOut(vertx.eventBus());
    AtomicInteger next = new AtomicInteger();
    return () -> new HttpSseVerticle(cfg, auth, history, presence, metrics, registry, fanOut, next.getAndIncrement());
  }

  @Override
  public Future<?> start() {
    NodeState node = NodeState.of(vertx);
    Hub hub = new Hub(fanOut.bus(), d -> metrics.dropped(PulseMetrics.SSE, "reordered"),
        new HistoryGaps(vertx, history, cfg.historySize()));
    connections = connections(hub, PulseMetrics.SSE);
    report = new ConnectionReport(vertx, PulseMetrics.SSE, part, connections::count, connections::subscriptionCount);
    connections.onChange(report::changed);
    sse = new SseHandler(connections, metrics);
    if (cfg.bridgeEnabled()) {
      bridge = new EventBusBridge(vertx, connections(hub, PulseMetrics.BRIDGE));
    }
    Router router = router(node, hub);
    // The idle timeout closes half-open sockets; streams stay busy with their keep-alive comments.
    // HTTP/1.1 only: browsers never use cleartext HTTP/2, and SSE over h2c would put every stream
    // under HTTP/2 flow control, which the slow-consumer check would misread. Strict thread mode:
    // every response is written on its connection's event loop, so Vert.x writes straight to the
    // socket instead of through a queue of its own (less CPU per event, 4 kB less per stream).
    return vertx.createHttpServer(new HttpServerOptions().setHost(cfg.httpHost()).setTcpNoDelay(true)
            .setHttp2ClearTextEnabled(false)
            .setStrictThreadMode(true)
            .setIdleTimeout(cfg.httpIdleTimeoutSeconds())
            .setMaxWebSocketFrameSize(EventBusBridge.transportLimit(cfg))
            .setMaxWebSocketMessageSize(EventBusBridge.transportLimit(cfg)))
        .requestHandler(router)
        // port -1: a random port that all instances share (Vert.x binds once per negative value)
        .listen(cfg.httpPort() == 0 ? -1 : cfg.httpPort())
        .onSuccess(s -> {
          server = s;
          node.httpPort(s.actualPort());
          vertx.setPeriodic(cfg.sseKeepAliveSeconds() * 1000L, t -> sse.pingAll());
        });
  }

  /** The routes in the order they are tried: the page's catch-all {@code GET /*} comes after the others. */
  private Router router(NodeState node, Hub hub) {
    Router router = Router.router(vertx);
    new HealthRoutes(node).mount(router);
    new MetricsRoutes(registry).mount(router);
    router.get("/events").handler(ctx -> sse.handle(ctx));
    ApiGuard guard = new ApiGuard(connections);
    new PublishApi(connections, guard).mount(router);
    new HistoryApi(vertx, hub, history, auth, guard, cfg.historySize()).mount(router);
    new ClusterApi(vertx, cfg, presence, auth, guard).mount(router);
    new TokenApi(vertx, cfg, auth, guard).mount(router);
    if (bridge != null) {
      bridge.mount(router);
    }
    // HEAD too: link checkers, proxies and `curl -I` ask for the page's files that way. Vert.x's
    // StaticHandler answers HEAD without the Content-Type its GET sends; it is added here first.
    router.head("/*").handler(ctx -> {
      String type = MimeMapping.mimeTypeForFilename(ctx.normalizedPath());
      if (type != null) {
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, type.startsWith("text/") ? type + ";charset=UTF-8" : type);
      }
      ctx.next();
    });
    router.route("/*").method(HttpMethod.GET).method(HttpMethod.HEAD)
        .handler(StaticHandler.create("webroot").setCachingEnabled(false));
    router.route().last().handler(ctx -> ctx.fail(404));
    router.route().failureHandler(HttpErrors::onFailure);
    return router;
  }

  /** This instance's connections of {@code transport}, on {@code hub}. */
  private Connections connections(Hub hub, String transport) {
    return new Connections(vertx, cfg, auth, hub, Connections.Replays.of(history), metrics, transport).listen();
  }

  /**
   * Ends every stream (browsers reconnect elsewhere with their id), then closes the server without
   * waiting for idle keep-alive connections: Vert.x would otherwise wait for clients to hang up.
   */
  @Override
  public Future<?> stop() {
    if (sse != null) {
      sse.endAll();
    }
    if (bridge != null) {
      bridge.closeAll(Disconnect.SHUTDOWN);
    }
    Future<Void> shut = server == null ? Future.succeededFuture() : server.shutdown(Duration.ofMillis(500));
    return shut.onComplete(ar -> {
      if (sse != null) {
        sse.singleChannelEvents.release();
      }
    });
  }

  /** The port actually bound (for {@code http.port} 0). */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }
}
