package io.pulse.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.pulse.hub.Delivery;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SharedFramesTest {

  /** A client-side decoder: unmasked frames expected, any size. */
  static String decode(ByteBuf frame) {
    EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
        .expectMaskedFrames(false).maxFramePayloadLength(1 << 20).build()));
    client.writeInbound(frame);
    TextWebSocketFrame f = client.readInbound();
    try {
      assertTrue(f.isFinalFragment());
      return f.text();
    } finally {
      f.release();
      client.finishAndReleaseAll();
    }
  }

  @Test
  void everyLengthEncodingDecodes() {
    for (int n : new int[] {0, 1, 125, 126, 127, 65535, 65536, 200_000}) {
      String text = "é".repeat(n / 2) + "x".repeat(n % 2);
      byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
      assertEquals(text, decode(SharedFrames.encode(ByteBufAllocator.DEFAULT, utf8)), "payload of " + utf8.length + " bytes");
    }
  }

  @Test
  void oneBufferPerMessageSharedByEveryWriteAndFreedAfterTheLast() {
    SharedFrames frames = new SharedFrames(ByteBufAllocator.DEFAULT);
    Delivery m1 = new Delivery("c", 1, 0, "{\"id\":\"1\"}");
    ByteBuf a = frames.frameFor(m1);
    ByteBuf b = frames.frameFor(m1);
    assertEquals(3, a.refCnt(), "the cache's reference and one per write");
    assertEquals("{\"id\":\"1\"}", decode(a)); // the decoder reads a's indexes only
    assertEquals("{\"id\":\"1\"}", decode(b));
    ByteBuf c = frames.frameFor(new Delivery("c", 2, 0, "{\"id\":\"2\"}"));
    assertEquals(0, a.refCnt(), "the first message's buffer is freed once written and replaced");
    frames.release();
    assertEquals(1, c.refCnt());
    c.release();
  }
}
