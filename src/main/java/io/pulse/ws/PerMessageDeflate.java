package io.pulse.ws;

import io.pulse.conn.CloseCodes;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionDecoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtension;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandshaker;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import io.netty.util.AttributeKey;
import io.pulse.messages.Delivery;
import io.pulse.net.VertxInternals;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.ServerWebSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;
import java.util.zip.Deflater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * permessage-deflate (RFC 7692) on the WebSocket port, with {@code ws.compression} on.
 *
 * <p><b>Negotiation.</b> Netty's handshaker answers the offer: {@code server_no_context_takeover}
 * and {@code client_no_context_takeover} are accepted when offered; an offer with
 * {@code server_max_window_bits} is declined (the JDK's deflater has only a 15-bit window), and the
 * connection then runs uncompressed. Vert.x installs the handshaker itself, but without an
 * inflate limit: {@link #installer} swaps it, on every new connection, for one whose decoder
 * stops inflating a frame at {@code limits.maxMessageBytes} (the bomb guard, below).
 *
 * <p><b>Outbound: once per message, not per connection.</b> Pulse compresses every message itself,
 * each on its own (a fresh LZ77 window: no context takeover, whatever was negotiated; a receiver
 * keeping its window decodes such a stream just as well), and writes the same compressed frame
 * to every connection that negotiated the extension, as it writes the same plain frame to the
 * others ({@link Frames}, {@link io.pulse.net.SharedBuffers}). Netty's per-connection encoder
 * (which would keep a window per connection, and compress every frame again per connection) is
 * replaced by {@link PassThrough}, which never compresses. Messages under {@code ws.compressionMinBytes}, and messages that do not shrink, go
 * uncompressed (RSV1 clear), which the extension allows at any time.
 *
 * <p><b>Inbound, and the bomb guard.</b> Netty's decoder inflates each compressed frame into a
 * buffer of at most {@code limits.maxMessageBytes}; past it, it stops and fails, and
 * {@link WsConnection} closes with 1009 ({@code too_large}) without having inflated the rest.
 * The frame limit still applies to the compressed bytes on the wire, and fragments still add up
 * to the message limit after inflation.
 */
final class PerMessageDeflate {

  private static final Logger LOG = LoggerFactory.getLogger(PerMessageDeflate.class);
  /** zlib's default: most of the gain of 9 at a fraction of its cost. */
  static final int LEVEL = 6;
  private static final byte[] EMPTY = new byte[0];
  private static final AttributeKey<Handshaker> HANDSHAKER = AttributeKey.valueOf(PerMessageDeflate.class, "handshaker");

  private final Deflater deflater = new Deflater(LEVEL, true);
  private final int minBytes;
  private byte[] out = new byte[4096];

  /** A compressor for one verticle's event loop; messages under {@code minBytes} stay plain. */
  PerMessageDeflate(int minBytes) {
    this.minBytes = minBytes;
  }

  /**
   * What the server's connection handler does with {@code ws.compression} on: replace Vert.x's
   * extension handler (installed on every HTTP/1 connection, before any request is read) by one
   * with Pulse's handshaker ({@link VertxInternals#replaceWebSocketExtensionHandler}). If Vert.x's
   * internals change shape, its own handler stays: the extension still works, without the inflate
   * limit, and a warning says so once.
   */
  static Handler<HttpConnection> installer(int maxMessageBytes) {
    Function<Channel, WebSocketServerExtensionHandler> pulses = channel -> {
      Handshaker handshaker = new Handshaker(maxMessageBytes);
      channel.attr(HANDSHAKER).set(handshaker);
      return new WebSocketServerExtensionHandler(handshaker) {
        @Override
        protected void onHttpRequestChannelRead(ChannelHandlerContext ctx, HttpRequest request) throws Exception {
          handshaker.accepted = false; // each request's offer anew (an upgrade refused, then retried)
          super.onHttpRequestChannelRead(ctx, request);
        }
      };
    };
    return conn -> {
      if (!VertxInternals.replaceWebSocketExtensionHandler(conn, pulses)) {
        warnOnce();
      }
    };
  }

  private static volatile boolean warned;

  private static void warnOnce() {
    if (!warned) {
      warned = true;
      LOG.warn("ws.compression: Vert.x's WebSocket extension handler was not found; permessage-deflate runs "
          + "without Pulse's inflate limit and without shared compressed frames");
    }
  }

  /**
   * True if {@code ws} negotiated permessage-deflate with Pulse's handshaker. (Netty adds the
   * extension's handlers once the 101 response is written, which may be after the upgrade
   * completes: the handshaker remembers its answer instead.)
   */
  static boolean negotiated(ServerWebSocket ws) {
    ChannelHandlerContext ctx = VertxInternals.context(ws);
    if (ctx == null) {
      return false;
    }
    Handshaker h = ctx.channel().attr(HANDSHAKER).get();
    return h != null && h.accepted;
  }

  /** True if one of the request's {@code Sec-WebSocket-Extensions} headers offers permessage-deflate. */
  static boolean offered(List<String> extensionHeaders) {
    for (String h : extensionHeaders) {
      for (String offer : h.split(",")) {
        if (offer.split(";", 2)[0].trim().equalsIgnoreCase("permessage-deflate")) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * With the extension allowed, Netty's frame decoder lets every RSV bit through (it leaves them to
   * the extensions): what no negotiated extension consumed must still fail the connection (RFC
   * 6455 §5.2) — RSV1 on a connection without permessage-deflate, or on a control frame, RSV2 and
   * RSV3 always. Installs that check after the extension decoders; call right after the upgrade.
   */
  static void checkReservedBits(ServerWebSocket ws) {
    ChannelHandlerContext vertx = VertxInternals.context(ws);
    if (vertx != null && vertx.pipeline().get(ReservedBits.class) == null) {
      vertx.pipeline().addBefore(vertx.name(), "pulseReservedBits", new ReservedBits());
    }
  }

  /**
   * Fails the connection on a frame that still has an RSV bit set (1002, {@code protocol_error}),
   * and drops every frame after it, as Netty's decoder does after a bad frame (a ping behind it
   * must not be answered).
   */
  static final class ReservedBits extends io.netty.channel.ChannelInboundHandlerAdapter {
    private boolean failed; // this connection's event loop only

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (failed && msg instanceof WebSocketFrame frame) {
        frame.release();
        return;
      }
      if (msg instanceof WebSocketFrame frame && frame.rsv() != 0) {
        failed = true;
        frame.release();
        ctx.fireExceptionCaught(new io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException(
            io.netty.handler.codec.http.websocketx.WebSocketCloseStatus.PROTOCOL_ERROR,
            "RSV bits set (" + frame.rsv() + ") that no negotiated extension uses"));
        return;
      }
      ctx.fireChannelRead(msg);
    }
  }

  /** The close code for what the inflater could not take: 1009 over the limit, else 1002; 0 if not the inflater's. */
  static short closeCode(Throwable err) {
    for (Throwable t = err; t != null; t = t.getCause()) {
      if (t instanceof DecompressionException) {
        String m = String.valueOf(t.getMessage());
        return m.contains("maximum size") ? CloseCodes.TOO_BIG : (short) 1002;
      }
    }
    return 0;
  }

  /** True if a message of {@code length} characters is worth compressing. */
  boolean worthIt(int length) {
    return length >= minBytes;
  }

  /** The frame of a delivery's envelope, compressed if it shrinks (for {@link io.pulse.net.SharedBuffers}). */
  ByteBuf envelope(ByteBufAllocator alloc, Delivery d) {
    return text(alloc, d.envelope().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A final, unmasked text frame of {@code payload}: compressed on its own (RSV1 set) if that makes
   * it smaller, else plain.
   */
  ByteBuf text(ByteBufAllocator alloc, byte[] payload) {
    int n = deflate(payload);
    if (n >= payload.length) {
      return Frames.text(alloc, payload);
    }
    return Frames.frame(alloc, 0xC1, out, n); // FIN + RSV1 + text
  }

  /**
   * Compresses {@code payload} alone into {@code out}: raw DEFLATE, sync-flushed, without the
   * final {@code 00 00 ff ff} (RFC 7692 §7.2.1). Returns the length.
   */
  int deflate(byte[] payload) {
    deflater.reset();
    deflater.setInput(payload);
    int n = 0;
    while (true) {
      n += deflater.deflate(out, n, out.length - n, Deflater.SYNC_FLUSH);
      if (n < out.length) {
        break;
      }
      out = java.util.Arrays.copyOf(out, out.length * 2);
    }
    deflater.setInput(EMPTY);
    return n - 4;
  }

  /** Frees the native deflater. */
  void close() {
    deflater.end();
  }

  /**
   * Netty's permessage-deflate handshake, with the inflate limit; the extension's encoder is
   * {@link PassThrough}, since Pulse writes compressed frames itself.
   */
  static final class Handshaker implements WebSocketServerExtensionHandshaker {
    private final PerMessageDeflateServerExtensionHandshaker netty;
    boolean accepted; // an offer was accepted: the connection's event loop only

    Handshaker(int maxMessageBytes) {
      netty = new PerMessageDeflateServerExtensionHandshaker(LEVEL,
          false, // server_max_window_bits: declined, the JDK's deflater has a 15-bit window only
          PerMessageDeflateServerExtensionHandshaker.MAX_WINDOW_SIZE,
          true, // server_no_context_takeover: accepted, it is what Pulse does anyway
          true, // client_no_context_takeover: accepted, so the inflater is freed after every message
          maxMessageBytes);
    }

    @Override
    public WebSocketServerExtension handshakeExtension(WebSocketExtensionData offer) {
      WebSocketServerExtension ext = netty.handshakeExtension(offer);
      if (ext == null) {
        return null;
      }
      accepted = true;
      return new WebSocketServerExtension() {
        @Override
        public int rsv() {
          return ext.rsv();
        }

        @Override
        public WebSocketExtensionEncoder newExtensionEncoder() {
          return new PassThrough();
        }

        @Override
        public WebSocketExtensionDecoder newExtensionDecoder() {
          return ext.newExtensionDecoder();
        }

        @Override
        public WebSocketExtensionData newReponseData() {
          return ext.newReponseData();
        }
      };
    }
  }

  /** Stands in for Netty's encoder: compresses nothing (frames arrive compressed, or are to stay plain). */
  static final class PassThrough extends WebSocketExtensionEncoder {
    @Override
    public boolean acceptOutboundMessage(Object msg) {
      return false;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, WebSocketFrame msg, List<Object> out) {
      throw new UnsupportedOperationException();
    }
  }
}
