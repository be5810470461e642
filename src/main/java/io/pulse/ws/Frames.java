package io.pulse.ws;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.pulse.messages.Delivery;
import java.nio.charset.StandardCharsets;

/**
 * Ready-made WebSocket frames. A server's frames are not masked (RFC 6455 §5.1), so the frame of
 * a message is the same for every subscriber and can be built once per node; Netty's frame
 * encoder lets a {@link ByteBuf} pass untouched. With permessage-deflate, the compressed frames
 * are built once per message too ({@link PerMessageDeflate}).
 */
final class Frames {

  private Frames() {
  }

  /** The frame of a delivery's envelope. */
  static ByteBuf envelope(ByteBufAllocator alloc, Delivery d) {
    return text(alloc, d.envelope().getBytes(StandardCharsets.UTF_8));
  }

  /** A final, unmasked text frame carrying {@code payload}. */
  static ByteBuf text(ByteBufAllocator alloc, byte[] payload) {
    return frame(alloc, 0x81, payload, payload.length); // FIN + text
  }

  /** An unmasked frame: first byte {@code b0} (FIN, RSV, opcode), payload the first {@code n} bytes of {@code payload}. */
  static ByteBuf frame(ByteBufAllocator alloc, int b0, byte[] payload, int n) {
    int header = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
    ByteBuf buf = alloc.directBuffer(header + n);
    buf.writeByte(b0);
    if (n < 126) {
      buf.writeByte(n);
    } else if (n <= 0xFFFF) {
      buf.writeByte(126).writeShort(n);
    } else {
      buf.writeByte(127).writeLong(n);
    }
    return buf.writeBytes(payload, 0, n);
  }
}
