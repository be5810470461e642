package io.pulse.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.pulse.messages.Delivery;
import java.util.function.BiFunction;

/**
 * The wire bytes of the message being fanned out, built once per node into one direct buffer
 * and written to every subscriber as a retained duplicate: no per-connection encoding,
 * allocation or copy. The hub hands the same {@link Delivery} to every session in turn, so
 * remembering the last one is enough; a replay (one session) simply builds its own.
 *
 * <p>The buffer of a message is released when the next message arrives (or {@link #release()}),
 * and freed once the last socket has written it. Not thread-safe: one per transport verticle,
 * used on its event loop.
 */
public final class SharedBuffers {

  private final ByteBufAllocator alloc;
  private final BiFunction<ByteBufAllocator, Delivery, ByteBuf> encode;
  private Delivery last;
  private ByteBuf bytes;

  public SharedBuffers(ByteBufAllocator alloc, BiFunction<ByteBufAllocator, Delivery, ByteBuf> encode) {
    this.alloc = alloc;
    this.encode = encode;
  }

  /** A buffer of its own (retained, with its own indexes) holding {@code d}'s bytes, for one write. */
  public ByteBuf bufferFor(Delivery d) {
    if (d != last) {
      release();
      bytes = encode.apply(alloc, d);
      last = d;
    }
    return bytes.retainedDuplicate();
  }

  /** Drops this cache's reference to the current buffer. */
  public void release() {
    if (bytes != null) {
      bytes.release();
      bytes = null;
      last = null;
    }
  }
}
