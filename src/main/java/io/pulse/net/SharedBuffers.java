package io.pulse.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.pulse.messages.Delivery;
import java.util.function.BiFunction;

/**
 * The wire bytes of the messages being fanned out, built once per node into one direct buffer
 * each and written to every subscriber as a retained duplicate: no per-connection encoding,
 * allocation or copy. The hub hands the same {@link Delivery} to every session in turn, or, for
 * the messages of one busy event-loop turn, each session all of them in turn (up to
 * {@link #KEPT}); so the last {@link #KEPT} messages are kept, and the one asked for is mostly
 * the one asked for last, or the next. A replay (one session) simply builds its own.
 *
 * <p>A message's buffer is released when {@link #KEPT} newer ones have arrived (or
 * {@link #release()}), and freed once the last socket has written it. Not thread-safe: one per
 * transport verticle, used on its event loop.
 */
public final class SharedBuffers {

  /** Messages kept: as many as a turn hands over at once (io.pulse.hub.FanOut's batch). */
  public static final int KEPT = 64;

  private final ByteBufAllocator alloc;
  private final BiFunction<ByteBufAllocator, Delivery, ByteBuf> encode;
  private final Delivery[] messages = new Delivery[KEPT];
  private final ByteBuf[] bytes = new ByteBuf[KEPT];
  private int newest = KEPT - 1; // the slot written last
  private int last; // the slot asked for last

  public SharedBuffers(ByteBufAllocator alloc, BiFunction<ByteBufAllocator, Delivery, ByteBuf> encode) {
    this.alloc = alloc;
    this.encode = encode;
  }

  /** A buffer of its own (retained, with its own indexes) holding {@code d}'s bytes, for one write. */
  public ByteBuf bufferFor(Delivery d) {
    int i = slotOf(d);
    if (i < 0) {
      i = newest = (newest + 1) % KEPT;
      if (bytes[i] != null) {
        bytes[i].release();
      }
      bytes[i] = encode.apply(alloc, d);
      messages[i] = d;
    }
    last = i;
    return bytes[i].retainedDuplicate();
  }

  private int slotOf(Delivery d) {
    if (messages[last] == d) {
      return last;
    }
    int next = (last + 1) % KEPT;
    if (messages[next] == d) {
      return next;
    }
    for (int i = 0; i < KEPT; i++) {
      if (messages[i] == d) {
        return i;
      }
    }
    return -1;
  }

  /** Drops this cache's references to the buffers it keeps. */
  public void release() {
    for (int i = 0; i < KEPT; i++) {
      if (bytes[i] != null) {
        bytes[i].release();
        bytes[i] = null;
        messages[i] = null;
      }
    }
  }
}
