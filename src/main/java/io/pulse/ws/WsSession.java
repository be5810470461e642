package io.pulse.ws;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.timeout.IdleStateHandler;
import io.pulse.messages.Delivery;
import io.pulse.hub.Session;
import io.pulse.hub.SlowPolicy;
import io.pulse.net.SharedBuffers;
import io.pulse.net.VertxInternals;
import io.vertx.core.http.ServerWebSocket;
import java.nio.charset.StandardCharsets;

/**
 * One WebSocket as the hub sees it: envelopes go out as text frames.
 *
 * <p>Frames are written straight to the connection's Netty pipeline (its context from
 * {@link VertxInternals#context}), on its event loop: a delivery writes the frame built once per
 * message for the whole node ({@link SharedBuffers}, {@link Frames}). Vert.x's
 * {@code writeTextMessage} would encode the text and the frame again for every connection and
 * attach a promise, a queued task and a metrics update to every write; fan-out writes one frame
 * per subscriber, so that was most of the cost of a delivery. Every text frame of the
 * connection, replies included, goes this way, so replies and deliveries keep their
 * order; Vert.x still writes the control frames (ping, close), which need no order with them.
 * The socket's queue is Netty's, bounded by {@code limits.sendQueueBytes} (its high-water mark,
 * set by {@code setWriteQueueMaxSize}). Several deliveries in one event-loop turn (a burst, see
 * {@link io.pulse.hub.Hub#dispatchAll}) are written without a flush and flushed once: one
 * {@code writev} for all of them.
 */
final class WsSession extends Session {

  final ServerWebSocket ws;
  private final ChannelHandlerContext ctx; // null if Vert.x does not expose it: the public API is used
  private final ChannelHandlerContext framed; // writes from here skip the frame encoder (ready-made frames)
  private final SharedBuffers frames;
  private final Listener listener;
  private SharedBuffers deflated; // non-null once the connection negotiated permessage-deflate
  private PerMessageDeflate deflate;

  WsSession(ServerWebSocket ws, long maxQueuedBytes, SlowPolicy slowPolicy, Listener listener, SharedBuffers frames) {
    super(maxQueuedBytes, slowPolicy);
    this.ws = ws;
    this.listener = listener;
    this.frames = frames;
    this.ctx = VertxInternals.context(ws);
    ChannelHandlerContext encoder = ctx == null ? null : ctx.pipeline().context(WebSocketFrameEncoder.class);
    this.framed = encoder != null ? encoder : ctx;
    ws.setWriteQueueMaxSize((int) Math.min(Integer.MAX_VALUE, maxQueuedBytes));
    if (ctx != null && ctx.pipeline().get(IdleStateHandler.class) != null) {
      // It closed sockets that never upgraded; from here WsVerticle.closeIdle() does it, with a
      // close frame, and the handler would only sit in the way of every write.
      ctx.pipeline().remove(IdleStateHandler.class);
    }
  }

  /**
   * The connection negotiated permessage-deflate: deliveries come from {@code deflated} (the
   * verticle's compressed frames, built once per message), replies are compressed by {@code deflate}.
   */
  void deflate(SharedBuffers deflated, PerMessageDeflate deflate) {
    if (ctx != null) {
      this.deflated = deflated;
      this.deflate = deflate;
    }
  }

  @Override
  protected void write(Delivery d) {
    if (ctx == null) {
      ws.writeTextMessage(d.envelope());
    } else if (writable()) {
      framed.writeAndFlush(frameOf(d), framed.voidPromise());
    }
  }

  /** Several deliveries in one event-loop turn: queued on the channel, flushed once by {@link #flushWrites}. */
  @Override
  protected boolean writeWithoutFlush(Delivery d) {
    if (ctx == null) {
      write(d);
      return false;
    }
    if (writable()) {
      framed.write(frameOf(d), framed.voidPromise());
    }
    return true;
  }

  @Override
  protected void flushWrites() {
    framed.flush();
  }

  /** The node's shared frame of {@code d}, compressed if the connection negotiated it and it is worth it. */
  private io.netty.buffer.ByteBuf frameOf(Delivery d) {
    SharedBuffers from = deflated != null && deflate.worthIt(d.envelope().length()) ? deflated : frames;
    return from.bufferFor(d);
  }

  /** A conflated envelope: this connection's own frame, not the node's shared one. */
  @Override
  protected void writeOwn(Delivery d) {
    writeText(d.envelope());
  }

  @Override
  protected void watchDrain() {
    if (ctx == null) {
      ws.drainHandler(v -> drained());
    } else {
      VertxInternals.onWritable(ctx, this::drained);
    }
  }

  /** Writes a protocol reply. */
  void writeText(String text) {
    if (ctx == null) {
      ws.writeTextMessage(text);
    } else if (!writable()) {
      return;
    } else if (deflate != null && deflate.worthIt(text.length())) {
      framed.writeAndFlush(deflate.text(ctx.alloc(), text.getBytes(StandardCharsets.UTF_8)), framed.voidPromise());
    } else {
      ctx.writeAndFlush(new TextWebSocketFrame(Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8))),
          ctx.voidPromise());
    }
  }

  /** Never after a close frame (the check Vert.x makes), nor on a closed channel. */
  private boolean writable() {
    return !ws.isClosed() && ctx.channel().isActive();
  }

  @Override
  protected boolean transportFull() {
    return ctx == null ? ws.writeQueueFull() : !ctx.channel().isWritable();
  }


  @Override
  protected Listener listener() {
    return listener;
  }
}
