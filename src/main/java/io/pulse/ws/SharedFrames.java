package io.pulse.ws;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.pulse.hub.Delivery;
import java.nio.charset.StandardCharsets;

/**
 * The WebSocket frame of the message being fanned out, built once per node: a server's frames
 * are not masked (RFC 6455 §5.1), so every subscriber gets the same bytes, header included. Each
 * connection writes a retained duplicate of one direct buffer: no per-connection encoding,
 * allocation or copy. Netty's frame encoder lets a ready-made {@link ByteBuf} pass untouched.
 * Only valid without per-message compression, which the WebSocket server does not offer.
 *
 * <p>The buffer of a message is released when the next message arrives (or {@link #release()}),
 * and freed once the last socket has written it. Not thread-safe: one per WebSocket verticle.
 */
final class SharedFrames {

  private final ByteBufAllocator alloc;
  private Delivery last;
  private ByteBuf frame;

  SharedFrames(ByteBufAllocator alloc) {
    this.alloc = alloc;
  }

  /** A buffer of its own (retained, with its own indexes) holding {@code d}'s frame, for one write. */
  ByteBuf frameFor(Delivery d) {
    if (d != last) {
      release();
      frame = encode(alloc, d.envelope().getBytes(StandardCharsets.UTF_8));
      last = d;
    }
    return frame.retainedDuplicate();
  }

  /** Drops this cache's reference to the current frame. */
  void release() {
    if (frame != null) {
      frame.release();
      frame = null;
      last = null;
    }
  }

  /** A final, unmasked text frame carrying {@code payload}. */
  static ByteBuf encode(ByteBufAllocator alloc, byte[] payload) {
    int n = payload.length;
    int header = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
    ByteBuf buf = alloc.directBuffer(header + n);
    buf.writeByte(0x81); // FIN + text
    if (n < 126) {
      buf.writeByte(n);
    } else if (n <= 0xFFFF) {
      buf.writeByte(126).writeShort(n);
    } else {
      buf.writeByte(127).writeLong(n);
    }
    return buf.writeBytes(payload);
  }
}
