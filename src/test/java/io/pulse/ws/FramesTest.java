package io.pulse.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FramesTest {

  @Test
  void everyLengthEncodingDecodesAsOneFinalTextFrame() {
    for (int n : new int[] {0, 1, 125, 126, 127, 65535, 65536, 200_000}) {
      String text = "é".repeat(n / 2) + "x".repeat(n % 2);
      byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
      // A client's decoder: frames from a server are not masked.
      EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
          .expectMaskedFrames(false).maxFramePayloadLength(1 << 20).build()));
      client.writeInbound(Frames.text(ByteBufAllocator.DEFAULT, utf8));
      TextWebSocketFrame f = client.readInbound();
      try {
        assertTrue(f.isFinalFragment());
        assertEquals(text, f.text(), "payload of " + utf8.length + " bytes");
      } finally {
        f.release();
        client.finishAndReleaseAll();
      }
    }
  }
}
