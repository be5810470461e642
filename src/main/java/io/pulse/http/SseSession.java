package io.pulse.http;

import io.pulse.conn.ResumeToken;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.timeout.IdleStateHandler;
import io.pulse.conn.Disconnect;
import io.pulse.conn.Transport;
import io.pulse.messages.Delivery;
import io.pulse.hub.Session;
import io.pulse.hub.SlowPolicy;
import io.pulse.net.SharedBuffers;
import io.pulse.net.VertxInternals;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One {@code /events} stream: writes {@code id:} and {@code data:} lines (SPEC §3).
 *
 * <p>Events are written straight to the connection's Netty pipeline (its context from
 * {@link VertxInternals#context}), on its event loop, once Vert.x has sent the response head, as
 * ready-made HTTP/1.1 chunks ({@link #chunk}), from the HTTP encoder's position so that the
 * encoder does not wrap them again. On a single-channel stream the id is the message's, so the
 * chunk is the same for every such stream: it is built once per message and shared
 * ({@link SharedBuffers}). A multi-channel stream's id is its own resume token. The socket's
 * queue is Netty's, bounded by {@code limits.sendQueueBytes}.
 */
final class SseSession extends Session implements Transport {

  private static final Buffer PING = Buffer.buffer(": ping\n\n");

  final HttpServerResponse response;
  private final String singleChannel;
  private final Listener listener;
  private final SharedBuffers singleChannelEvents;
  private final ChannelHandlerContext ctx; // null if Vert.x does not expose it: the public API is used
  private final ChannelHandlerContext encoder; // writes from here skip Netty's HTTP encoder
  private boolean headWritten;

  SseSession(HttpServerResponse response, ChannelHandlerContext ctx, String singleChannel,
      long maxQueuedBytes, SlowPolicy slowPolicy, Listener listener, SharedBuffers singleChannelEvents) {
    super(maxQueuedBytes, slowPolicy);
    this.response = response;
    this.ctx = ctx;
    this.encoder = ctx == null ? null : ctx.pipeline().context(HttpResponseEncoder.class);
    this.singleChannel = singleChannel;
    this.listener = listener;
    this.singleChannelEvents = singleChannelEvents;
    response.setWriteQueueMaxSize((int) Math.min(Integer.MAX_VALUE, maxQueuedBytes));
    if (ctx != null && ctx.pipeline().get(IdleStateHandler.class) != null) {
      // A stream is never idle (keep-alive comments), and the all-idle check would cost a promise
      // and a listener per event. A dead peer still surfaces: its queue fills up (slow consumer).
      // The response says Connection: close, so the socket never returns to idle keep-alive.
      ctx.pipeline().remove(IdleStateHandler.class);
    }
  }

  @Override
  protected boolean transportFull() {
    return direct() ? !ctx.channel().isWritable() : response.writeQueueFull();
  }

  @Override
  protected void write(Delivery d) {
    if (response.ended()) {
      return;
    }
    if (!direct()) {
      String id = singleChannel != null ? Long.toString(d.seq()) : ResumeToken.encode(positions());
      response.write(Buffer.buffer(event(id, d)));
    } else if (ctx.channel().isActive()) {
      encoder.writeAndFlush(chunkOf(d), encoder.voidPromise());
    }
  }

  /**
   * Several deliveries in one event-loop turn: their chunks are queued on the channel and
   * flushed once by {@link #flushWrites}, one {@code writev} for all. They stay separate chunks:
   * a single-channel stream's chunk is the node's shared one, and joining them would copy each
   * event once per stream.
   */
  @Override
  protected boolean writeWithoutFlush(Delivery d) {
    if (response.ended()) {
      return false;
    }
    if (!direct()) {
      write(d);
      return false;
    }
    if (ctx.channel().isActive()) {
      encoder.write(chunkOf(d), encoder.voidPromise());
    }
    return true;
  }

  @Override
  protected void flushWrites() {
    encoder.flush();
  }

  /** The chunk of {@code d}: the node's shared one on a single-channel stream, else this stream's own (its id is the resume token). */
  private ByteBuf chunkOf(Delivery d) {
    return singleChannel != null ? singleChannelEvents.bufferFor(d)
        : Unpooled.wrappedBuffer(chunk(event(ResumeToken.encode(positions()), d)));
  }

  /** A conflated envelope: an event of this stream's own, not the node's shared single-channel one. */
  @Override
  protected void writeOwn(Delivery d) {
    if (response.ended()) {
      return;
    }
    String id = singleChannel != null ? Long.toString(d.seq()) : ResumeToken.encode(positions());
    if (!direct()) {
      response.write(Buffer.buffer(event(id, d)));
    } else if (ctx.channel().isActive()) {
      encoder.writeAndFlush(Unpooled.wrappedBuffer(chunk(event(id, d))), encoder.voidPromise());
    }
  }

  @Override
  protected void watchDrain() {
    if (ctx == null) {
      response.drainHandler(v -> drained());
    } else {
      VertxInternals.onWritable(ctx, this::drained);
    }
  }

  /** True if events go straight to Netty (once the head is written); false if through Vert.x's response. */
  boolean writesDirectly() {
    return encoder != null;
  }

  /** Straight to Netty: possible once Vert.x has written the head (and the chunked encoding with it). */
  private boolean direct() {
    return encoder != null && (headWritten || (headWritten = response.headWritten())); // asked until true
  }

  /** The chunk of a single-channel stream's event, for {@link SharedBuffers}. */
  static ByteBuf singleChannelEvent(ByteBufAllocator alloc, Delivery d) {
    byte[] bytes = chunk(event(Long.toString(d.seq()), d));
    return alloc.directBuffer(bytes.length).writeBytes(bytes);
  }

  /** One HTTP/1.1 chunk (RFC 9112 §7.1): its size in hex, CRLF, the data, CRLF. */
  static byte[] chunk(byte[] data) {
    byte[] size = (Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[size.length + data.length + 2];
    System.arraycopy(size, 0, out, 0, size.length);
    System.arraycopy(data, 0, out, size.length, data.length);
    out[out.length - 2] = '\r';
    out[out.length - 1] = '\n';
    return out;
  }

  private static byte[] event(String id, Delivery d) {
    return ("id: " + id + "\ndata: " + d.envelope() + "\n\n").getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Ends the stream and closes its connection: the stream had the connection to itself (no idle
   * timeout any more, see the constructor), so it must not go back to keep-alive.
   */
  void end() {
    if (response.ended()) {
      return;
    }
    if (ctx == null) {
      response.end();
    } else {
      response.end().onComplete(ar -> ctx.channel().close());
    }
  }

  /** A comment line, so that proxies keep the stream and dead peers surface. */
  void ping() {
    if (!isClosed() && !transportFull()) {
      response.write(PING.copy());
    }
  }

  /** Ends the stream for {@code why}; a slow consumer's connection is reset, dropping what it queues. */
  @Override
  public void close(Disconnect why) {
    if (why == Disconnect.SLOW_CONSUMER) {
      response.reset();
    } else {
      end();
    }
  }

  @Override
  protected Listener listener() {
    return listener;
  }
}
