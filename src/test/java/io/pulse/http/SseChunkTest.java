package io.pulse.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SseChunkTest {

  static String chunk(String data) {
    return new String(SseSession.chunk(data.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
  }

  @Test
  void sizeInHexOfTheBytesThenTheDataThenCrlf() {
    assertEquals("3\r\nabc\r\n", chunk("abc"));
    assertEquals("4\r\néé\r\n", chunk("éé"), "the size counts UTF-8 bytes, not characters");
    String big = "x".repeat(300);
    assertEquals("12c\r\n" + big + "\r\n", chunk(big));
  }
}
