package io.pulse.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.pulse.messages.Delivery;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SharedBuffersTest {

  /**
   * The buffers encoded, in order: their reference counts are the cache's and the writes'. Not
   * pooled: a pooled buffer object is reused once freed, and its count would then be another's.
   */
  final List<ByteBuf> encoded = new ArrayList<>();
  final SharedBuffers buffers = new SharedBuffers(UnpooledByteBufAllocator.DEFAULT, (alloc, d) -> {
    ByteBuf b = alloc.directBuffer().writeBytes(d.envelope().getBytes(StandardCharsets.UTF_8));
    encoded.add(b);
    return b;
  });

  /** What a socket does with a buffer: reads it through its own indexes, then releases it. */
  static String write(ByteBuf b) {
    try {
      return b.readCharSequence(b.readableBytes(), StandardCharsets.UTF_8).toString();
    } finally {
      b.release();
    }
  }

  @Test
  void oneBufferPerMessageSharedByEveryWriteAndFreedAfterTheLast() {
    Delivery m1 = new Delivery("c", 1, 0, "one");
    ByteBuf a = buffers.bufferFor(m1);
    ByteBuf b = buffers.bufferFor(m1);
    ByteBuf one = encoded.get(0);
    assertEquals(1, encoded.size(), "encoded once");
    assertEquals("one", write(a));
    assertEquals("one", write(b), "a write does not move the others' indexes");
    assertEquals(1, one.refCnt(), "written, and kept for a turn's later writes");
    ByteBuf c = buffers.bufferFor(new Delivery("c", 2, 0, "two"));
    for (int i = 3; i <= SharedBuffers.KEPT; i++) {
      write(buffers.bufferFor(new Delivery("c", i, 0, "m" + i)));
    }
    assertEquals(1, one.refCnt(), "still among the last " + SharedBuffers.KEPT);
    write(buffers.bufferFor(new Delivery("c", SharedBuffers.KEPT + 1, 0, "newer")));
    assertEquals(0, one.refCnt(), "freed once written and " + SharedBuffers.KEPT + " newer ones came");
    ByteBuf two = encoded.get(1);
    assertEquals(2, two.refCnt(), "the cache's and the pending write's");
    buffers.release();
    assertEquals("two", write(c));
    assertEquals(0, two.refCnt());
    encoded.forEach(e -> assertEquals(0, e.refCnt(), "all freed after release()"));
  }

  @Test
  void aWriteStillPendingKeepsItsBufferAfterTheCacheLetsGo() {
    ByteBuf pending = buffers.bufferFor(new Delivery("c", 1, 0, "one"));
    buffers.release();
    assertEquals(1, encoded.get(0).refCnt());
    assertEquals("one", write(pending));
    assertEquals(0, encoded.get(0).refCnt());
  }

  @Test
  void aTurnsMessagesWrittenSessionBySessionAreEncodedOnceEach() {
    List<Delivery> turn = new ArrayList<>();
    for (int i = 1; i <= SharedBuffers.KEPT; i++) {
      turn.add(new Delivery("c", i, 0, "m" + i));
    }
    for (int session = 0; session < 3; session++) {
      for (Delivery d : turn) {
        assertEquals(d.envelope(), write(buffers.bufferFor(d)));
      }
    }
    assertEquals(SharedBuffers.KEPT, encoded.size(), "each message once, for every session");
    buffers.release();
  }
}
