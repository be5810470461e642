package io.pulse.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.impl.HttpServerConnection;
import io.vertx.core.internal.http.WebSocketInternal;
import java.util.function.Function;

/**
 * The one way into Vert.x's non-public packages ({@code io.vertx.core.internal},
 * {@code io.vertx.core.http.impl}, {@code io.vertx.core.net.impl}): every Netty object Pulse takes
 * from a Vert.x object, and every trick that depends on how Vert.x 5.1.6 is built inside, is
 * here or in this package ({@link DirectWrites}, {@link UpgradeLeftovers}, {@link DrainSignal}).
 * Nothing else in {@code src/main} may name those packages ({@code InternalsTest}). Each use has a
 * test in {@code src/test/java/io/pulse/net} that fails when a Vert.x upgrade breaks it.
 *
 * <p>Lookups happen once per connection; nothing here runs per message.
 */
public final class VertxInternals {

  /** Vert.x's name for the WebSocket extension handler of an HTTP/1.x connection (HttpServerConnectionHandler). */
  static final String WS_EXTENSION_HANDLER = "webSocketExtensionHandler";

  /** What {@link #dropUpgradeLeftovers} let go of. */
  public record Dropped(boolean request, boolean headers, boolean query) {
  }

  private VertxInternals() {
  }

  /**
   * The Netty context of Vert.x's own handler on {@code ws}'s channel (the last one of its
   * pipeline), or null if {@code ws} is not one of Vert.x's. Writing from it passes the
   * WebSocket frame encoder; handlers added before it see what Vert.x would swallow.
   */
  public static ChannelHandlerContext context(WebSocketBase ws) {
    return ws instanceof WebSocketInternal internal ? internal.channelHandlerContext() : null;
  }

  /**
   * The Netty context of Vert.x's own handler on a server connection's channel, or null if
   * {@code conn} is not one of Vert.x's server connections. On HTTP/1.x the pipeline holds
   * Netty's {@code HttpResponseEncoder} before it.
   */
  public static ChannelHandlerContext context(HttpConnection conn) {
    return conn instanceof HttpServerConnection c ? c.channelHandlerContext() : null;
  }

  /**
   * Gives {@code ws}'s connection Vert.x's direct writer instead of its outbound queue (4 kB per
   * connection): call on its event loop, right after the upgrade, before anything is written.
   * False if it keeps the queue ({@link DirectWrites}).
   */
  public static boolean writeDirectly(ServerWebSocket ws) {
    return DirectWrites.apply(ws);
  }

  /**
   * Lets go of what {@code ws} keeps from its upgrade request (about 2.9 kB): call on its event
   * loop once nothing reads the request's headers, URI or query any more ({@link UpgradeLeftovers}).
   */
  public static Dropped dropUpgradeLeftovers(ServerWebSocket ws) {
    return UpgradeLeftovers.drop(ws);
  }

  /**
   * Calls {@code onDrain} on the channel's event loop each time it turns writable again; {@code ctx}
   * is Vert.x's handler context ({@link #context}), whose handler does not pass the event on.
   * Once per channel; false if the channel is going away ({@link DrainSignal}).
   */
  public static boolean onWritable(ChannelHandlerContext ctx, Runnable onDrain) {
    return DrainSignal.install(ctx, onDrain);
  }

  /**
   * Replaces the WebSocket extension handler Vert.x installs on every HTTP/1.x connection of a
   * server with permessage-deflate support (before any request is read) by what
   * {@code replacement} makes for the channel. False, and nothing changed, if there is no such
   * handler: not an HTTP/1.x server connection of Vert.x's, or Vert.x's internals changed.
   */
  public static boolean replaceWebSocketExtensionHandler(HttpConnection conn,
      Function<Channel, ? extends WebSocketServerExtensionHandler> replacement) {
    ChannelHandlerContext ctx = context(conn);
    if (ctx == null) {
      return false;
    }
    ChannelPipeline pipeline = ctx.pipeline();
    if (!(pipeline.get(WS_EXTENSION_HANDLER) instanceof WebSocketServerExtensionHandler)) {
      return false;
    }
    pipeline.replace(WS_EXTENSION_HANDLER, WS_EXTENSION_HANDLER, replacement.apply(pipeline.channel()));
    return true;
  }
}
