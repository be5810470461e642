package io.pulse.ws;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.pulse.hub.Delivery;
import io.pulse.hub.Encoded;
import io.pulse.hub.Session;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.WebSocketInternal;
import java.nio.charset.StandardCharsets;

/**
 * One WebSocket as the hub sees it: envelopes go out as text frames.
 *
 * <p>Text frames are written straight to the connection's Netty pipeline, on its event loop, from
 * bytes encoded once per message for the whole node ({@link Encoded}). Vert.x's
 * {@code writeTextMessage} would encode the text again for every connection and attach a promise,
 * a queued task and a metrics update to every write; fan-out writes one frame per subscriber, so
 * that is most of the cost of a delivery. Every text frame of the connection, replies included,
 * goes this way, so replies and deliveries keep their order; Vert.x still writes the control
 * frames (ping, close), which need no order with them. The socket's queue is Netty's, bounded by
 * {@code limits.sendQueueBytes} (its high-water mark, set by {@code setWriteQueueMaxSize}).
 */
final class WsSession extends Session {

  final ServerWebSocket ws;
  private final ChannelHandlerContext ctx; // null if Vert.x does not expose it: the public API is used
  private final Encoded<byte[]> frames;
  private final Listener listener;
  Runnable onSlow = () -> { };

  WsSession(ServerWebSocket ws, long maxQueuedBytes, boolean dropWhenSlow, Listener listener, Encoded<byte[]> frames) {
    super(maxQueuedBytes, dropWhenSlow);
    this.ws = ws;
    this.listener = listener;
    this.frames = frames;
    this.ctx = ws instanceof WebSocketInternal internal ? internal.channelHandlerContext() : null;
    ws.setWriteQueueMaxSize((int) Math.min(Integer.MAX_VALUE, maxQueuedBytes));
  }

  /** The UTF-8 bytes of a delivery's envelope: what {@link #frames} computes once per message. */
  static byte[] utf8(Delivery d) {
    return d.envelope().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  protected void write(Delivery d) {
    writeText(frames.of(d));
  }

  /** Writes a protocol reply. */
  void writeText(String text) {
    writeText(text.getBytes(StandardCharsets.UTF_8));
  }

  private void writeText(byte[] utf8) {
    if (ctx == null) {
      ws.writeTextMessage(new String(utf8, StandardCharsets.UTF_8));
    } else if (!ws.isClosed() && ctx.channel().isActive()) {
      // Never after a close frame (Vert.x's check, kept). The array is shared by every
      // connection: each write wraps it in a buffer of its own.
      ctx.writeAndFlush(new TextWebSocketFrame(Unpooled.wrappedBuffer(utf8)), ctx.voidPromise());
    }
  }

  @Override
  protected boolean transportFull() {
    return ctx == null ? ws.writeQueueFull() : !ctx.channel().isWritable();
  }

  @Override
  protected void closeSlow() {
    onSlow.run();
  }

  @Override
  protected Listener listener() {
    return listener;
  }
}
