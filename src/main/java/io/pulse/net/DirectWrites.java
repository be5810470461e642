package io.pulse.net;

import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.core.net.impl.VertxHandler;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives an upgraded WebSocket connection the write path of Vert.x's strict thread mode.
 *
 * <p>The WebSocket port runs in strict thread mode: everything on a connection happens on its
 * event loop. Vert.x honours that for the HTTP connection, but the WebSocket connection it
 * creates at the upgrade always gets a multi-producer queue for writes from other threads: the
 * queue's first chunk is 4 kB per connection, a third of an idle WebSocket's heap, for writes
 * that never come from another thread here. This swaps it for Vert.x's own direct writer (the
 * one strict mode uses) right after the upgrade, before anything was written. Vert.x internals:
 * if they change shape, the connection keeps its queue, and a warning says so once.
 */
final class DirectWrites {

  private static final Logger LOG = LoggerFactory.getLogger(DirectWrites.class);
  private static final Field QUEUE;
  private static final Constructor<?> DIRECT;

  static {
    Field queue = null;
    Constructor<?> direct = null;
    try {
      queue = VertxConnection.class.getDeclaredField("outboundMessageQueue");
      queue.setAccessible(true);
      direct = Class.forName(VertxConnection.class.getName() + "$DirectOutboundMessageQueue")
          .getDeclaredConstructor(VertxConnection.class);
      direct.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("WebSocket connections keep Vert.x's outbound queue (4 kB each): {}", e.toString());
      queue = null;
      direct = null;
    }
    QUEUE = queue;
    DIRECT = direct;
  }

  private DirectWrites() {
  }

  /** True if {@code ws}'s connection now writes directly; call on its event loop, before any write. */
  static boolean apply(ServerWebSocket ws) {
    ChannelHandlerContext ctx = QUEUE == null ? null : VertxInternals.context(ws);
    if (ctx == null) {
      return false;
    }
    VertxHandler<?> handler = ctx.pipeline().get(VertxHandler.class);
    if (handler == null || !ctx.executor().inEventLoop()) {
      return false;
    }
    try {
      VertxConnection conn = handler.getConnection();
      QUEUE.set(conn, DIRECT.newInstance(conn));
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.debug("WebSocket connection keeps Vert.x's outbound queue: {}", e.toString());
      return false;
    }
  }
}
