package io.pulse.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A hand-made WebSocket client speaking raw frames, for what a well-behaved client cannot send:
 * invalid UTF-8, frames that never end, clients that never read or never answer pings.
 */
public final class RawWs implements AutoCloseable {

  public final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  public RawWs(int port, String path) throws IOException {
    socket = new Socket();
    // A small receive window, set before connecting: a client that does not read fills up fast,
    // whatever the machine's TCP autotuning would otherwise allow.
    socket.setReceiveBufferSize(16 * 1024);
    socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
    in = socket.getInputStream();
    out = socket.getOutputStream();
    byte[] key = new byte[16];
    ThreadLocalRandom.current().nextBytes(key);
    out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key)
        + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    String status = readLine();
    if (!status.contains(" 101 ")) {
      throw new IOException("upgrade refused: " + status);
    }
    while (!readLine().isEmpty()) {
      // headers
    }
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.US_ASCII);
  }

  /** Sends one masked frame. opcode: 1 text, 2 binary, 0 continuation. */
  public void frame(int opcode, boolean fin, byte[] payload) throws IOException {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write((fin ? 0x80 : 0) | opcode);
    int n = payload.length;
    if (n < 126) {
      f.write(0x80 | n);
    } else if (n < 65536) {
      f.write(0x80 | 126);
      f.write(n >>> 8);
      f.write(n & 0xff);
    } else {
      f.write(0x80 | 127);
      for (int i = 7; i >= 0; i--) {
        f.write((int) ((long) n >>> (8 * i)) & 0xff);
      }
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    f.write(mask);
    for (int i = 0; i < n; i++) {
      f.write(payload[i] ^ mask[i % 4]);
    }
    out.write(f.toByteArray());
    out.flush();
  }

  public void text(String s) throws IOException {
    frame(1, true, s.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Reads frames until a close frame and returns its code, or -1 if the connection ends without
   * one. Answers nothing (not even pings).
   */
  public int readUntilClose() throws IOException {
    while (true) {
      int b0 = in.read();
      if (b0 < 0) {
        return -1;
      }
      int b1 = in.read();
      long len = b1 & 0x7f;
      if (len == 126) {
        len = (in.read() << 8) | in.read();
      } else if (len == 127) {
        len = 0;
        for (int i = 0; i < 8; i++) {
          len = (len << 8) | in.read();
        }
      }
      byte[] payload = in.readNBytes((int) len);
      if ((b0 & 0x0f) == 8) {
        return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
      }
    }
  }

  /**
   * Reads frames until a text frame (unfragmented, as the server sends them) and returns its
   * text; null if the connection ends or closes first. Answers nothing (not even pings).
   */
  public String readText() throws IOException {
    while (true) {
      int b0 = in.read();
      if (b0 < 0) {
        return null;
      }
      int b1 = in.read();
      long len = b1 & 0x7f;
      if (len == 126) {
        len = (in.read() << 8) | in.read();
      } else if (len == 127) {
        len = 0;
        for (int i = 0; i < 8; i++) {
          len = (len << 8) | in.read();
        }
      }
      byte[] payload = in.readNBytes((int) len);
      int opcode = b0 & 0x0f;
      if (opcode == 8) {
        return null;
      }
      if (opcode == 1) {
        return new String(payload, StandardCharsets.UTF_8);
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
