package io.pulse.bridge;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.pulse.auth.Identity;
import io.pulse.config.PulseConfig;
import io.pulse.conn.Connection;
import io.pulse.conn.Connections;
import io.pulse.conn.Disconnect;
import io.pulse.conn.Refusal;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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
 * frame, then the socket is closed. One per HTTP/SSE verticle instance, sharing its hub. What a
 * socket may do, and when it ends (token expiry 4002, revocation 1008, slow consumer 4001, rejoin
 * 1012, shutdown 1001), is its {@link Connection}'s, as on the other transports.
 */
public final class EventBusBridge {

  public static final String PATH = "/eventbus";

  private final Vertx vertx;
  private final PulseConfig cfg;
  private final Connections connections;
  private final Map<SockJSSocket, BridgeClient> clients = new HashMap<>();

  /** {@code connections}: the bridge's own ({@link io.pulse.metrics.PulseMetrics#BRIDGE}), on the verticle's hub. */
  public EventBusBridge(Vertx vertx, Connections connections) {
    this.vertx = vertx;
    this.cfg = connections.config();
    this.connections = connections;
  }

  /** Mounts the bridge under {@value #PATH} on {@code router}. */
  public void mount(Router router) {
    router.route(PATH + "/*").handler(ctx -> {
      Refusal r = connections.checkOrigin(ctx.request().getHeader("Origin"));
      if (r == null) {
        ctx.next();
      } else {
        ctx.response().setStatusCode(r.status).putHeader("Content-Type", "application/json; charset=utf-8")
            .end(r.toJson().encode());
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
      case SOCKET_CLOSED -> {
        BridgeClient c = clients.remove(be.socket());
        if (c != null) {
          c.connection.closed(c.closeReason != null ? c.closeReason : "client_closed");
        }
      }
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

  /** A new socket: Origin was checked on the request; here draining, the token, the node's limit. */
  private void opened(BridgeEvent be) {
    SockJSSocket sock = be.socket();
    Refusal draining = connections.checkDraining();
    if (draining != null) {
      refuseSocket(be, draining);
      return;
    }
    Future<Identity> identity = connections.authenticate(token(sock.uri()));
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
      refuseSocket(be, (Refusal) id.cause());
      return;
    }
    Refusal full = connections.acquire();
    if (full != null) {
      refuseSocket(be, full);
      return;
    }
    SockJSSocket sock = be.socket();
    BridgeSession session = new BridgeSession(sock, cfg.sendQueueBytes(), cfg.slowPolicies().defaultPolicy(),
        connections.sessionListener());
    Connection connection = connections.open(id.result(), session, session);
    session.subscriptions(connection.subscriptions());
    clients.put(sock, new BridgeClient(connections, connection, session));
    be.complete(true);
  }

  private void refuseSocket(BridgeEvent be, Refusal r) {
    be.socket().write(BridgeFrames.error(r.code, r.getMessage()));
    be.complete(false); // the bridge closes the socket
  }

  /** Closes every socket of this instance, telling each {@code why}. */
  public void closeAll(Disconnect why) {
    connections.closeAll(why);
  }

  /** Open sockets of this instance. */
  public int count() {
    return connections.count();
  }

  private static String token(String uri) {
    if (uri == null) {
      return null;
    }
    List<String> t = new QueryStringDecoder(uri).parameters().get("token");
    return t == null || t.isEmpty() ? null : t.get(0);
  }
}
