package io.pulse.bridge;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.pulse.auth.Auth;
import io.pulse.auth.Identity;
import io.pulse.config.PulseConfig;
import io.pulse.http.Origins;
import io.pulse.hub.Hub;
import io.pulse.hub.Session;
import io.pulse.metrics.PulseMetrics;
import io.pulse.node.NodeState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The standard Vert.x event-bus bridge for browsers, on the HTTP port at {@value #PATH}: vertx-web's
 * {@code SockJSHandler.bridge} with Pulse's checks in its bridge-event hook. Pages use
 * {@code @vertx/eventbus-bridge-client.js} (SockJS; {@code /eventbus/websocket} is the raw
 * WebSocket endpoint speaking the bridge's JSON directly). Token as {@code ?token=} on the URL.
 *
 * <ul>
 *   <li>{@code pulse.ch.<channel or pattern>}: register to receive that channel's envelopes, send or
 *   publish to publish on it; the token's rights apply, as on {@code /events} and {@code /ws}. See
 *   {@link BridgeClient}.</li>
 *   <li>Any other address: only those in {@code bridge.inbound} (send, publish, request) and
 *   {@code bridge.outbound} (register); replies time out after {@code bridge.replyTimeoutMs}.</li>
 * </ul>
 *
 * <p>Before a socket opens: Origin outside {@code auth.allowedOrigins} 403; a bad token, a full node
 * ({@code limits.maxConnections}, shared with SSE and WebSocket) or a draining one: an {@code err}
 * frame, then the socket is closed. One per HTTP/SSE verticle instance, sharing its hub.
 */
public final class EventBusBridge {

  public static final String PATH = "/eventbus";

  private final Vertx vertx;
  private final PulseConfig cfg;
  private final Auth auth;
  private final Hub hub;
  private final PulseMetrics metrics;
  private final NodeState node;
  private final Origins origins;
  private final Session.Listener listener;
  private final Map<SockJSSocket, BridgeClient> clients = new HashMap<>();

  public EventBusBridge(Vertx vertx, PulseConfig cfg, Auth auth, Hub hub, PulseMetrics metrics, NodeState node,
      Origins origins) {
    this.vertx = vertx;
    this.cfg = cfg;
    this.auth = auth;
    this.hub = hub;
    this.metrics = metrics;
    this.node = node;
    this.origins = origins;
    this.listener = metrics.sessionListener(PulseMetrics.BRIDGE);
  }

  /** Mounts the bridge under {@value #PATH} on {@code router}. */
  public void mount(Router router) {
    router.route(PATH + "/*").handler(ctx -> {
      if (origins.allows(ctx.request().getHeader("Origin"))) {
        ctx.next();
      } else {
        metrics.refused("origin");
        ctx.response().setStatusCode(403).putHeader("Content-Type", "application/json; charset=utf-8")
            .end(new JsonObject().put("error", new JsonObject().put("code", "forbidden")
                .put("message", "Origin not allowed")).encode());
      }
    });
    // SockJS's xhr_send needs a body handler; its bodies are JSON arrays of escaped strings, so a
    // message of limits.maxMessageBytes may take about twice that. Larger: 413.
    router.post(PATH + "/*").handler(BodyHandler.create(false).setBodyLimit(transportLimit(cfg)));
    SockJSHandler sockJS = SockJSHandler.create(vertx, new SockJSHandlerOptions());
    router.route(PATH + "/*").subRouter(sockJS.bridge(options(cfg), this::onEvent));
  }

  /** The largest frame or body a transport accepts: room for the escaping of a largest message. */
  public static int transportLimit(PulseConfig cfg) {
    return cfg.maxMessageBytes() * 2 + 1024;
  }

  static SockJSBridgeOptions options(PulseConfig cfg) {
    SockJSBridgeOptions o = new SockJSBridgeOptions().setReplyTimeout(cfg.bridgeReplyTimeoutMs());
    BridgePermissions.permitted(cfg.bridgeInbound()).forEach(o::addInboundPermitted);
    BridgePermissions.permitted(cfg.bridgeOutbound()).forEach(o::addOutboundPermitted);
    return o;
  }

  private void onEvent(BridgeEvent be) {
    switch (be.type()) {
      case SOCKET_CREATED -> opened(be);
      case SOCKET_CLOSED -> closed(be.socket(), null);
      case SOCKET_IDLE -> {
        BridgeClient c = clients.get(be.socket());
        if (c != null && c.closeReason == null) {
          c.closeReason = "idle";
        }
        be.complete(true);
      }
      case REGISTER, UNREGISTER, SEND, PUBLISH -> {
        BridgeClient c = clients.get(be.socket());
        if (c == null) {
          be.complete(true); // after our close: the bridge's own clean-up
        } else {
          c.onMessage(be);
        }
      }
      default -> be.complete(true);
    }
  }

  /** A new socket: Origin was checked on the request; here the token, the node's limit, draining. */
  private void opened(BridgeEvent be) {
    SockJSSocket sock = be.socket();
    if (node.draining()) {
      refuseSocket(be, "unavailable", "node is shutting down", "draining");
      return;
    }
    Future<Identity> identity = auth.authenticate(token(sock.uri()));
    if (identity.isComplete()) {
      authenticated(be, identity);
      return;
    }
    // Checking the token takes a while: hold what the page sends meanwhile (the bridge sets its
    // handler only once this event completes, and would lose it).
    sock.pause();
    identity.onComplete(id -> {
      authenticated(be, identity);
      sock.resume();
    });
  }

  private void authenticated(BridgeEvent be, Future<Identity> id) {
    if (id.failed()) {
      refuseSocket(be, "unauthorized", id.cause().getMessage(), "unauthorized");
      return;
    }
    if (!node.tryAcquire()) {
      refuseSocket(be, "unavailable", "node is at limits.maxConnections", "max_connections");
      return;
    }
    open(be, id.result());
  }

  private void open(BridgeEvent be, Identity identity) {
    SockJSSocket sock = be.socket();
    BridgeClient client = new BridgeClient(vertx, cfg, auth, hub, metrics, identity,
        subs -> new BridgeSession(sock, subs, cfg.sendQueueBytes(), cfg.dropSlowConsumers(), listener),
        (code, message, reason) -> close(sock, code, message, reason));
    client.session.onSlow = () -> close(sock, 4001, "slow consumer", "slow_consumer");
    clients.put(sock, client);
    metrics.connections(PulseMetrics.BRIDGE).incrementAndGet();
    if (identity.expiresAtMs() > 0) {
      client.expiryTimer = vertx.setTimer(Math.max(1, identity.expiresAtMs() - System.currentTimeMillis()),
          t -> close(sock, 4002, "token expired", "token_expired"));
    }
    be.complete(true);
  }

  private void refuseSocket(BridgeEvent be, String code, String message, String reason) {
    metrics.refused(reason);
    be.socket().write(BridgeFrames.error(code, message));
    be.complete(false); // the bridge closes the socket
  }

  /** Closes a socket for {@code reason}: the client is forgotten at once, the bridge is told by the close. */
  private void close(SockJSSocket sock, int code, String message, String reason) {
    BridgeClient c = clients.get(sock);
    if (c != null && c.closeReason == null) {
      c.closeReason = reason;
    }
    closed(sock, reason);
    sock.close(code, message);
  }

  private void closed(SockJSSocket sock, String reason) {
    BridgeClient c = clients.remove(sock);
    if (c == null) {
      return;
    }
    c.closed();
    if (c.expiryTimer >= 0) {
      vertx.cancelTimer(c.expiryTimer);
    }
    node.release();
    metrics.connections(PulseMetrics.BRIDGE).decrementAndGet();
    metrics.disconnected(PulseMetrics.BRIDGE, c.closeReason != null ? c.closeReason : reason != null ? reason
        : "client_closed");
  }

  /** Closes every socket of a subject whose tokens were revoked up to {@code revokedAt}. */
  public void revoked(String sub, long revokedAt) {
    for (Map.Entry<SockJSSocket, BridgeClient> e : List.copyOf(clients.entrySet())) {
      if (e.getValue().identity.revokedBy(sub, revokedAt)) {
        close(e.getKey(), 1008, "token revoked", "revoked");
      }
    }
  }

  /** The node is stopping: every socket is closed with 1001. */
  public void closeAll() {
    for (SockJSSocket sock : List.copyOf(clients.keySet())) {
      close(sock, 1001, "node shutting down", "shutdown");
    }
  }

  /** Open sockets of this instance. */
  public int count() {
    return clients.size();
  }

  private static String token(String uri) {
    if (uri == null) {
      return null;
    }
    List<String> t = new QueryStringDecoder(uri).parameters().get("token");
    return t == null || t.isEmpty() ? null : t.get(0);
  }
}
