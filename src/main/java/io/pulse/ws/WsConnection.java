package io.pulse.ws;

import io.netty.channel.ChannelHandlerContext;
import io.pulse.conn.CloseCodes;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.pulse.net.VertxInternals;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport policies of one WebSocket, below the JSON protocol: assembles fragmented
 * messages up to {@code maxMessageBytes} (over → close 1009), decodes text strictly as UTF-8
 * (invalid → close 1007, failing fast on the fragment that breaks it), and hands whole messages
 * to {@code onText} / {@code onBinary}. Control frames are answered by Vert.x; every frame, pongs
 * included, counts as activity for the idle timeout.
 *
 * <p>A frame whose header claims more than the server's frame limit (set to {@code maxMessageBytes})
 * is refused by Netty's frame decoder as soon as the header is read, before any of its payload is
 * buffered; Vert.x then closes the connection with 1000 unless someone closes it first. The
 * exception handler here closes it with the decoder's own code instead: 1009 for a frame over the
 * limit, 1002 for a malformed frame, 1007 for an invalid close reason. With permessage-deflate,
 * a frame that inflates past the limit closes with 1009 too ({@link PerMessageDeflate}).
 */
final class WsConnection {

  private static final Logger LOG = LoggerFactory.getLogger(WsConnection.class);

  private final ServerWebSocket ws;
  private final int maxMessageBytes;
  private final Handler<String> onText;
  private final Handler<Buffer> onBinary;
  private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
  private Buffer pending;
  private boolean pendingText;
  private CharBuffer chars;
  private byte[] leftover = new byte[0]; // an incomplete UTF-8 sequence at the end of a fragment
  private long lastActivity = System.nanoTime();
  private boolean closing;
  private String reason;
  private Handler<String> onClosing = r -> { };

  WsConnection(ServerWebSocket ws, int maxMessageBytes, Handler<String> onText, Handler<Buffer> onBinary) {
    this.ws = ws;
    this.maxMessageBytes = maxMessageBytes;
    this.onText = onText;
    this.onBinary = onBinary;
    VertxInternals.writeDirectly(ws);
    ws.frameHandler(this::onFrame);
    ws.exceptionHandler(this::onError);
    ws.pongHandler(b -> lastActivity = System.nanoTime());
  }

  long lastActivity() {
    return lastActivity;
  }

  boolean closing() {
    return closing;
  }

  /**
   * Closes with a code and a short text, once. {@code reason} is the metrics label
   * ({@code pulse_disconnects_total{reason}}).
   */
  void close(short code, String text, String reason) {
    if (!closing) {
      closing = true;
      this.reason = reason;
      onClosing.handle(reason); // bookkeeping before the client can see the close frame
      ws.close(code, text);
    }
  }

  /** Called once when the server starts closing, with the metrics reason. */
  void onClosing(Handler<String> handler) {
    this.onClosing = handler;
  }

  /** Why the server closed the connection, or null when it did not. */
  String reason() {
    return reason;
  }

  /**
   * What Netty's decoder could not take. Runs before Vert.x closes the channel itself (with 1000):
   * closing here sends our code first.
   */
  private void onError(Throwable err) {
    closeFor(err);
    // Vert.x closes the channel as soon as this returns: send what this read produced (answers
    // to the messages before the bad frame, and the close frame) first.
    ChannelHandlerContext ctx = VertxInternals.context(ws);
    if (ctx != null) {
      ctx.flush();
    }
  }

  private void closeFor(Throwable err) {
    if (err instanceof CorruptedWebSocketFrameException bad) {
      WebSocketCloseStatus status = bad.closeStatus();
      int code = status == null ? 1002 : status.code();
      if (code == CloseCodes.TOO_BIG) {
        close(CloseCodes.TOO_BIG, "message over " + maxMessageBytes + " bytes", "too_large");
      } else if (code == CloseCodes.INVALID_PAYLOAD) {
        close(CloseCodes.INVALID_PAYLOAD, "invalid payload", "invalid_utf8");
      } else {
        close((short) 1002, "protocol error", "protocol_error");
      }
      return;
    }
    short inflate = PerMessageDeflate.closeCode(err);
    if (inflate == CloseCodes.TOO_BIG) { // the bomb guard: inflated past the limit, not inflated further
      close(CloseCodes.TOO_BIG, "message over " + maxMessageBytes + " bytes", "too_large");
      return;
    }
    if (inflate != 0) {
      close(inflate, "invalid compressed data", "protocol_error");
      return;
    }
    LOG.debug("websocket error: {}", err.toString());
  }

  private void onFrame(WebSocketFrame frame) {
    lastActivity = System.nanoTime();
    if (closing) {
      return;
    }
    if (frame.isText() || frame.isBinary()) {
      if (pending != null) {
        close((short) 1002, "new message before the previous one ended", "protocol_error");
        return;
      }
      pending = Buffer.buffer();
      pendingText = frame.isText();
      if (pendingText) {
        decoder.reset();
        leftover = new byte[0];
        chars = CharBuffer.allocate(Math.min(maxMessageBytes, 4096));
      }
    } else if (frame.isContinuation()) {
      if (pending == null) {
        close((short) 1002, "continuation without a message", "protocol_error");
        return;
      }
    } else {
      return; // ping, pong, close: handled by Vert.x
    }
    Buffer data = frame.binaryData();
    if (pending.length() + data.length() > maxMessageBytes) {
      pending = null;
      close(CloseCodes.TOO_BIG, "message over " + maxMessageBytes + " bytes", "too_large");
      return;
    }
    pending.appendBuffer(data);
    if (pendingText && !decode(data, frame.isFinal())) {
      pending = null;
      close(CloseCodes.INVALID_PAYLOAD, "invalid UTF-8", "invalid_utf8");
      return;
    }
    if (frame.isFinal()) {
      Buffer message = pending;
      pending = null;
      if (pendingText) {
        chars.flip();
        String text = chars.toString();
        chars = null;
        onText.handle(text);
      } else {
        onBinary.handle(message);
      }
    }
  }

  /** Decodes a fragment into {@code chars}; false on invalid UTF-8 (detected as early as possible). */
  private boolean decode(Buffer data, boolean last) {
    byte[] bytes = data.getBytes();
    if (leftover.length > 0) {
      byte[] joined = new byte[leftover.length + bytes.length];
      System.arraycopy(leftover, 0, joined, 0, leftover.length);
      System.arraycopy(bytes, 0, joined, leftover.length, bytes.length);
      bytes = joined;
    }
    ByteBuffer in = ByteBuffer.wrap(bytes);
    while (true) {
      var result = decoder.decode(in, chars, last);
      if (result.isError()) {
        return false;
      }
      if (result.isOverflow()) {
        CharBuffer bigger = CharBuffer.allocate(chars.capacity() * 2 + in.remaining());
        chars.flip();
        bigger.put(chars);
        chars = bigger;
        continue;
      }
      break;
    }
    leftover = new byte[in.remaining()];
    in.get(leftover);
    if (last) {
      if (leftover.length > 0) {
        leftover = new byte[0];
        return false; // a sequence cut off at the end of the message
      }
      try {
        var flushed = decoder.flush(chars);
        return !flushed.isError();
      } catch (IllegalStateException e) {
        return false;
      }
    }
    return true;
  }
}
