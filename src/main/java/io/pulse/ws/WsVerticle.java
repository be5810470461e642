package io.pulse.ws;

import io.pulse.auth.Auth;
import io.pulse.auth.Tokens;
import io.pulse.chat.ChatRooms;
import io.pulse.chat.Presence;
import io.pulse.conn.Connections;
import io.pulse.conn.Refusal;
import io.pulse.cluster.ConnectionReport;
import io.pulse.cluster.Membership;
import io.pulse.config.PulseConfig;
import io.pulse.history.History;
import io.pulse.hub.HistoryGaps;
import io.pulse.hub.FanOut;
import io.pulse.hub.Hub;
import io.pulse.metrics.PulseMetrics;
import io.pulse.conn.NodeState;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The WebSocket port (SPEC §4): {@code ws://host:<ws.port><ws.path>}.
 *
 * <p>Before the upgrade: wrong path 404, Origin not allowed 403, bad token 401, node full or draining 503 with
 * {@code Retry-After}. Then the JSON protocol of {@link WsClient} over {@link WsConnection}'s
 * transport policies. Listens on {@code pulse.ch.*}/{@code pulse.pat.*} through its hub, requests
 * {@link Addresses#PUBLISH}, writes room presence through {@link Presence}, reports its counts on
 * {@link Addresses#NODE_CONNECTIONS}. Chat: rooms are the channels {@code chat.<room>};
 * {@code join}/{@code leave} envelopes (data {@code {"name"}}) reach every member on every node.
 *
 * <p>The node runs one instance per event loop ({@code ws.instances}), all on the same port: the
 * kernel's accepted connections are dealt out to them in turn, and a fan-out is written by every
 * instance to its own connections at once. They share one clustered consumer per address
 * ({@link FanOut}) and the node's rooms ({@link ChatRooms}); everything else is per instance.
 */
public final class WsVerticle extends VerticleBase {

  static final int RETRY_AFTER_SECONDS = 5;
  /** Port -2: a random port that all instances share (Vert.x binds once per negative value). */
  private static final int SHARED_RANDOM_PORT = -2;

  private final PulseConfig cfg;
  private final Auth auth;
  private final History history;
  private final Presence presence;
  private final Membership membership;
  private final PulseMetrics metrics;
  private final FanOut fanOut;
  private final ChatRooms rooms;
  private final int part;
  private Connections connections;
  private WsSockets sockets;
  private HttpServer server;
  private Runnable stopListening = () -> { };
  private ConnectionReport report;

  /**
   * Instance {@code part} (0 … {@code ws.instances}-1) of the node's WebSocket verticle; the
   * {@code fanOut} and the {@code rooms} are the node's, shared by all instances.
   */
  WsVerticle(PulseConfig cfg, Auth auth, History history, Presence presence, Membership membership,
      PulseMetrics metrics, FanOut fanOut, ChatRooms rooms, int part) {
    this.cfg = cfg;
    this.auth = auth;
    this.history = history;
    this.presence = presence;
    this.membership = membership;
    this.metrics = metrics;
    this.fanOut = fanOut;
    this.rooms = rooms;
    this.part = part;
  }

  /**
   * What the node deploys: {@code ws.instances} instances of this verticle, sharing the node's
   * fan-out and rooms.
   */
  public static Supplier<Deployable> instances(Vertx vertx,
      PulseConfig cfg, Auth auth, History history, Presence presence, Membership membership, PulseMetrics metrics,
      String nodeId) {
    FanOut fanOut = new FanOut(vertx.eventBus());
    ChatRooms rooms = new ChatRooms(vertx, presence, membership, nodeId);
    AtomicInteger next = new AtomicInteger();
    return () -> new WsVerticle(cfg, auth, history, presence, membership, metrics, fanOut, rooms,
        next.getAndIncrement());
  }

  @Override
  public Future<?> start() {
    NodeState node = NodeState.of(vertx);
    Hub hub = new Hub(fanOut.bus(), d -> metrics.dropped(PulseMetrics.WS, "reordered"),
        new HistoryGaps(vertx, history, cfg.historySize()));
    connections = new Connections(vertx, cfg, auth, hub, Connections.Replays.of(history), metrics, PulseMetrics.WS)
        .listen();
    sockets = new WsSockets(vertx, cfg, connections, presence, rooms, metrics);
    vertx.setPeriodic(cfg.wsPingSeconds() * 1000L, t -> sockets.pingAll());
    vertx.setPeriodic(1000, t -> sockets.closeIdle());
    report = new ConnectionReport(vertx, PulseMetrics.WS, part, connections::count, connections::subscriptionCount);
    connections.onChange(report::changed);
    if (part == 0) {
      stopListening = membership.onChange(() -> context.runOnContext(v -> rooms.purgeDeparted()));
    }
    // Read-idle, not all-idle: Netty's all-idle tracking adds a promise and a listener to every
    // write. A connection that never sends is closed at the idle timeout: before the upgrade by
    // this (2 s later than closeIdle() would), after it by closeIdle() with a proper close frame
    // (pongs count as reads); WsSession removes this handler once the connection is upgraded.
    HttpServer http = vertx.createHttpServer(serverOptions(cfg).setReadIdleTimeout(cfg.wsIdleTimeoutSeconds() + 2));
    if (cfg.wsCompression()) {
      http.connectionHandler(PerMessageDeflate.installer(cfg.maxMessageBytes()));
    }
    return http
        .requestHandler(this::onRequest)
        .listen(cfg.wsPort() == 0 ? SHARED_RANDOM_PORT : cfg.wsPort())
        .onSuccess(s -> {
          server = s;
          node.wsPort(s.actualPort());
        });
  }

  /**
   * Closes every client with 1001, and completes once their rooms have heard the leaves and
   * presence is clean (at most 3 s): the node deploys this verticle last and undeploys it first.
   */
  @Override
  public Future<?> stop() {
    stopListening.run();
    Future<Void> leaving = sockets == null ? Future.succeededFuture() : sockets.closeAll();
    return leaving.timeout(3, TimeUnit.SECONDS).recover(err -> Future.succeededFuture())
        .transform(ar -> server == null ? Future.succeededFuture() : server.shutdown(java.time.Duration.ofSeconds(1)))
        .onComplete(ar -> {
          if (sockets != null) {
            sockets.release();
          }
        });
  }

  /** The WebSocket server's options (shared with the conformance harness and the tests of io.pulse.net). */
  public static HttpServerOptions serverOptions(PulseConfig cfg) {
    int max = cfg.maxMessageBytes();
    return new HttpServerOptions()
        .setHost(cfg.wsHost())
        // Everything on a connection happens on its event loop: Vert.x then writes the upgrade's
        // HTTP connection directly instead of through a queue of its own (4 kB per connection).
        .setStrictThreadMode(true)
        .setTcpNoDelay(true)
        // No h2c on a WebSocket port (as on the SSE port): each connection would otherwise get an
        // HTTP/2 initializer and an h2c upgrade handler for its first request, to no use here.
        .setHttp2ClearTextEnabled(false)
        // Exactly the message limit: a frame over it cannot be part of an acceptable message, and
        // Netty refuses it on its header, before buffering any of it (WsConnection closes 1009).
        .setMaxWebSocketFrameSize(max)
        .setMaxWebSocketMessageSize(max)
        // ws.compression: Vert.x installs permessage-deflate (and lets RSV1 through its frame decoder);
        // PerMessageDeflate.installer then swaps the handshake for Pulse's, with the inflate limit.
        // The two no-context options are for Vert.x's own handshaker, should the swap not happen.
        .setPerMessageWebSocketCompressionSupported(cfg.wsCompression())
        .setWebSocketCompressionLevel(PerMessageDeflate.LEVEL)
        .setWebSocketAllowServerNoContext(true)
        .setWebSocketPreferredClientNoContext(true)
        .setPerFrameWebSocketCompressionSupported(false);
  }

  /** The port actually bound (for {@code ws.port} 0). */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  private void onRequest(HttpServerRequest req) {
    if (!cfg.wsPath().equals(req.path())) {
      refuse(req, connections.refused(new Refusal(404, "not_found", "WebSocket endpoint is " + cfg.wsPath(),
          "not_found")));
      return;
    }
    if (!"websocket".equalsIgnoreCase(req.getHeader(HttpHeaders.UPGRADE))) {
      refuse(req, connections.refused(Refusal.badRequest("a WebSocket upgrade is required here")));
      return;
    }
    req.pause();
    connections.admit(req.getHeader(HttpHeaders.ORIGIN), Tokens.from(req)).onComplete(id -> {
      Refusal refused = id.failed() ? (Refusal) id.cause() : connections.acquire();
      if (refused != null) {
        refuse(req, refused);
        return;
      }
      boolean offered = PerMessageDeflate.offered(req.headers().getAll("Sec-WebSocket-Extensions"));
      req.toWebSocket().onComplete(ar -> {
        if (ar.succeeded()) {
          sockets.open(ar.result(), id.result(), offered);
        } else {
          connections.release();
        }
      });
    });
  }

  /** Answers the upgrade request with the refusal's status and JSON error (503s with Retry-After). */
  private static void refuse(HttpServerRequest req, Refusal r) {
    var res = req.response().setStatusCode(r.status).putHeader("Content-Type", "application/json; charset=utf-8");
    if (r.status == 503) {
      res.putHeader("Retry-After", String.valueOf(RETRY_AFTER_SECONDS));
    }
    res.end(r.toJson().encode());
  }
}
