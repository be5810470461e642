package io.pulse.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.pulse.messages.Delivery;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SharedBuffersTest {

  final SharedBuffers buffers = new SharedBuffers(ByteBufAllocator.DEFAULT,
      (alloc, d) -> alloc.directBuffer().writeBytes(d.envelope().getBytes(StandardCharsets.UTF_8)));

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
    assertEquals(3, a.refCnt(), "the cache's reference and one per write");
    assertEquals("one", write(a));
    assertEquals("one", write(b), "a write does not move the others' indexes");
    ByteBuf c = buffers.bufferFor(new Delivery("c", 2, 0, "two"));
    assertEquals(0, a.refCnt(), "the first message's buffer is freed once written and replaced");
    assertEquals(2, c.refCnt());
    buffers.release();
    assertEquals("two", write(c));
    assertEquals(0, c.refCnt());
  }

  @Test
  void aWriteStillPendingKeepsItsBufferAfterTheNextMessage() {
    ByteBuf pending = buffers.bufferFor(new Delivery("c", 1, 0, "one"));
    buffers.bufferFor(new Delivery("c", 2, 0, "two")).release();
    assertEquals(1, pending.refCnt());
    assertEquals("one", write(pending));
    buffers.release();
  }
}
