package io.pulse.net;

import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.MultiMap;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.impl.VertxHandler;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets go of what an upgraded WebSocket connection keeps from its HTTP request and never needs
 * again (Vert.x 5.1.6), about 2.9 kB of heap per idle connection:
 *
 * <ul>
 *   <li>The {@code VertxHandler} that Vert.x puts in the pipeline at the upgrade keeps, for the
 *       connection's whole life, the factory it created the WebSocket connection with, once. That
 *       lambda holds the upgrade's {@code Http1ServerRequest}, and through it the response, the
 *       Netty request, the {@code Http1ServerConnection} with its handlers and settings, and the
 *       Netty handshaker. The factory is replaced by one that refuses to run again.</li>
 *   <li>The WebSocket keeps the upgrade request's headers for {@link ServerWebSocket#headers()}.
 *       Pulse reads the token and Origin before the upgrade and never after it, so they are
 *       replaced by one shared empty read-only map.</li>
 *   <li>It also keeps the request's URI and query string, each a copy of {@code ?token=…} when a
 *       browser authenticates that way (a JWT: some 900 bytes for the pair). From here
 *       {@link ServerWebSocket#uri()} is the path and {@link ServerWebSocket#query()} null.</li>
 * </ul>
 *
 * <p>Both touch Vert.x internals: if a field or method is not where 5.1.6 has it, that part does
 * nothing (logged once at debug) and the connection keeps the memory, nothing else changes.
 * Call on the connection's event loop, right after the upgrade.
 */
final class UpgradeLeftovers {

  private static final Logger LOG = LoggerFactory.getLogger(UpgradeLeftovers.class);
  /** What {@link ServerWebSocket#headers()} returns once the upgrade's headers are dropped. */
  static final MultiMap NO_HEADERS = MultiMap.caseInsensitiveMultiMap().copy(false);
  private static final Function<ChannelHandlerContext, ?> SPENT = ctx -> {
    throw new IllegalStateException("the WebSocket connection was created already");
  };
  private static final Field FACTORY = field(VertxHandler.class.getName(), "connectionFactory", Function.class);
  private static final Method SET_HEADERS = headersSetter();
  private static final String SERVER_WEBSOCKET = "io.vertx.core.http.impl.websocket.ServerWebSocketImpl";
  private static final Field URI = field(SERVER_WEBSOCKET, "uri", String.class);
  private static final Field PATH = field(SERVER_WEBSOCKET, "path", String.class);
  private static final Field QUERY = field(SERVER_WEBSOCKET, "query", String.class);
  private static final AtomicBoolean FAILED_ONCE = new AtomicBoolean();

  private UpgradeLeftovers() {
  }

  /** Drops what {@code ws} keeps from its upgrade request; says what it could drop. */
  static VertxInternals.Dropped drop(ServerWebSocket ws) {
    return new VertxInternals.Dropped(dropRequest(ws), dropHeaders(ws), dropQuery(ws));
  }

  private static boolean dropRequest(ServerWebSocket ws) {
    ChannelHandlerContext ctx = FACTORY == null ? null : VertxInternals.context(ws);
    if (ctx == null) {
      return false;
    }
    try {
      VertxHandler<?> handler = ctx.pipeline().get(VertxHandler.class);
      if (handler == null) {
        return false;
      }
      FACTORY.set(handler, SPENT);
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      failed("its upgrade request", e);
      return false;
    }
  }

  private static boolean dropHeaders(ServerWebSocket ws) {
    if (SET_HEADERS == null || !SET_HEADERS.getDeclaringClass().isInstance(ws)) {
      return false;
    }
    try {
      SET_HEADERS.invoke(ws, NO_HEADERS);
      return ws.headers() == NO_HEADERS;
    } catch (ReflectiveOperationException | RuntimeException e) {
      failed("its upgrade headers", e);
      return false;
    }
  }

  private static boolean dropQuery(ServerWebSocket ws) {
    if (URI == null || PATH == null || QUERY == null || !URI.getDeclaringClass().isInstance(ws)) {
      return false;
    }
    try {
      URI.set(ws, PATH.get(ws));
      QUERY.set(ws, null);
      return ws.query() == null;
    } catch (ReflectiveOperationException | RuntimeException e) {
      failed("its upgrade URI", e);
      return false;
    }
  }

  private static void failed(String what, Exception e) {
    if (FAILED_ONCE.compareAndSet(false, true)) {
      LOG.debug("a WebSocket connection keeps {} (logged once): {}", what, e.toString());
    }
  }

  private static Field field(String owner, String name, Class<?> type) {
    try {
      Field f = Class.forName(owner).getDeclaredField(name);
      if (!type.isAssignableFrom(f.getType())) {
        throw new NoSuchFieldException(name + " is a " + f.getType().getName());
      }
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.debug("WebSocket connections keep part of their upgrade request ({}.{}): {}", owner, name, e.toString());
      return null;
    }
  }

  private static Method headersSetter() {
    try {
      Method m = Class.forName("io.vertx.core.http.impl.websocket.WebSocketImplBase")
          .getMethod("headers", MultiMap.class);
      m.setAccessible(true);
      return m;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.debug("WebSocket connections keep their upgrade headers: {}", e.toString());
      return null;
    }
  }
}
