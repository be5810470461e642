package io.pulse.ws;

import io.pulse.auth.Identity;
import io.pulse.chat.ChatClient;
import io.pulse.chat.ChatRooms;
import io.pulse.chat.Moderation;
import io.pulse.chat.Presence;
import io.pulse.config.PulseConfig;
import io.pulse.conn.CloseCodes;
import io.pulse.conn.Connection;
import io.pulse.conn.Connections;
import io.pulse.conn.Disconnect;
import io.pulse.metrics.PulseMetrics;
import io.pulse.net.SharedBuffers;
import io.pulse.net.VertxInternals;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upgraded WebSockets of one {@link WsVerticle} instance: each gets its session (the frames
 * this instance encodes once per message, compressed when negotiated), its connection in the core,
 * its protocol ({@link WsClient}) and chat; pings and the idle timeout are kept here, as they are
 * the WebSocket's own. Not thread-safe: lives on the instance's event loop.
 */
final class WsSockets {

  private static final Logger LOG = LoggerFactory.getLogger(WsSockets.class);

  private final Vertx vertx;
  private final PulseConfig cfg;
  private final Connections connections;
  private final Presence presence;
  private final ChatRooms rooms;
  private final PulseMetrics metrics;
  private final Set<WsClient> clients = new LinkedHashSet<>(); // the sockets; the connections' state is the core's
  private final SharedBuffers frames = new SharedBuffers(io.netty.buffer.ByteBufAllocator.DEFAULT, Frames::envelope);
  // ws.compression: this instance's compressor, and the compressed frames it shares (else null)
  private final PerMessageDeflate deflate;
  private final SharedBuffers deflated;

  WsSockets(Vertx vertx, PulseConfig cfg, Connections connections, Presence presence, ChatRooms rooms,
      PulseMetrics metrics) {
    this.vertx = vertx;
    this.cfg = cfg;
    this.connections = connections;
    this.presence = presence;
    this.rooms = rooms;
    this.metrics = metrics;
    this.deflate = cfg.wsCompression() ? new PerMessageDeflate(cfg.wsCompressionMinBytes()) : null;
    this.deflated = deflate == null ? null : new SharedBuffers(io.netty.buffer.ByteBufAllocator.DEFAULT, deflate::envelope);
  }

  /**
   * A WebSocket just upgraded for {@code identity}, holding a connection slot. {@code offered}: the
   * upgrade request offered permessage-deflate (for the metric only).
   */
  void open(ServerWebSocket ws, Identity identity, boolean offered) {
    WsSession session = new WsSession(ws, cfg.sendQueueBytes(), cfg.slowPolicies().defaultPolicy(),
        connections.sessionListener(), frames);
    String compression = offered ? "off" : "none";
    if (deflate != null) {
      PerMessageDeflate.checkReservedBits(ws);
      if (PerMessageDeflate.negotiated(ws)) {
        session.deflate(deflated, deflate);
        compression = "deflate";
      } else if (offered) {
        compression = "declined";
      }
    }
    metrics.wsUpgraded(compression);
    WsClient[] holder = new WsClient[1];
    WsConnection conn = new WsConnection(ws, cfg.maxMessageBytes(),
        text -> {
          try {
            holder[0].onText(text);
          } catch (RuntimeException e) {
            // A bug of ours must cost this connection, not the verticle: 1011, and logged.
            LOG.error("internal error handling a WebSocket message", e);
            holder[0].connection.close(Disconnect.INTERNAL);
          }
        },
        binary -> holder[0].conn.close(CloseCodes.UNSUPPORTED_DATA, "binary frames are not supported", "binary"));
    Connection connection = connections.open(identity, session, why -> conn.close(why.code(), why.message(), why.reason()));
    WsClient client = new WsClient(connections, connection, conn, session,
        new ChatClient(connections, connection, presence, rooms, new Moderation(vertx, cfg)));
    holder[0] = client;
    clients.add(client);
    conn.onClosing(reason -> closed(client, reason));
    ws.closeHandler(v -> closed(client, conn.reason() != null ? conn.reason() : closeReason(ws)));
    VertxInternals.dropUpgradeLeftovers(ws); // last: nothing here reads the upgrade request any more
  }

  private static String closeReason(ServerWebSocket ws) {
    Short code = ws.closeStatusCode();
    if (code == null) {
      return "dropped";
    }
    return code == 1002 ? "protocol_error" : "client_closed";
  }

  /** The socket is closing or closed ({@code reason}: the metrics label): the core and the rooms let go. */
  private void closed(WsClient client, String reason) {
    if (clients.remove(client)) {
      client.connection.closed(reason);
      client.chat.closed();
    }
  }

  /** A ping frame to every socket ({@code ws.pingSeconds}): pongs count as reads. */
  void pingAll() {
    Buffer ping = Buffer.buffer("pulse");
    clients.forEach(c -> {
      if (!c.conn.closing()) {
        c.session.ws.writePing(ping);
      }
    });
  }

  /** Closes (1000 "idle timeout") the sockets that sent nothing, pongs included, for {@code ws.idleTimeoutSeconds}. */
  void closeIdle() {
    long limit = TimeUnit.SECONDS.toNanos(cfg.wsIdleTimeoutSeconds());
    long now = System.nanoTime();
    for (WsClient c : List.copyOf(clients)) {
      if (now - c.conn.lastActivity() > limit) {
        c.connection.close(Disconnect.IDLE);
      }
    }
  }

  /** Closes every socket with 1001; completes once their rooms have heard the leaves. */
  Future<Void> closeAll() {
    List<Future<Void>> leaving = new ArrayList<>();
    for (WsClient c : List.copyOf(clients)) {
      leaving.add(c.chat.closed());
      c.connection.close(Disconnect.SHUTDOWN);
    }
    return Future.join(leaving).mapEmpty();
  }

  /** Gives back the shared frames and the compressor: after the server is shut. */
  void release() {
    frames.release();
    if (deflate != null) {
      deflated.release();
      deflate.close();
    }
  }
}
