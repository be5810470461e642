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

  /** The upgrade response's headers, names in lower case. */
  public final java.util.Map<String, String> headers = new java.util.HashMap<>();

  public RawWs(int port, String path) throws IOException {
    this(port, path, "");
  }

  /** {@code extraHeaders}: more request lines for the upgrade, each ending in CRLF. */
  public RawWs(int port, String path, String extraHeaders) throws IOException {
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
        + "\r\nSec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    String status = readLine();
    if (!status.contains(" 101 ")) {
      throw new IOException("upgrade refused: " + status);
    }
    for (String h = readLine(); !h.isEmpty(); h = readLine()) {
      int colon = h.indexOf(':');
      if (colon > 0) {
        headers.put(h.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT), h.substring(colon + 1).trim());
      }
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
    frame(opcode, fin, false, payload);
  }

  /** Sends one masked frame, with RSV1 set when {@code rsv1} (a permessage-deflate compressed message). */
  public void frame(int opcode, boolean fin, boolean rsv1, byte[] payload) throws IOException {
    frame(opcode, fin, rsv1 ? 4 : 0, payload);
  }

  /** Sends one masked frame with the reserved bits {@code rsv} (4: RSV1, 2: RSV2, 1: RSV3). */
  public void frame(int opcode, boolean fin, int rsv, byte[] payload) throws IOException {
    out.write(encode(opcode, fin, rsv, payload));
    out.flush();
  }

  /** The bytes of one masked frame, to send several in one write ({@link #send}). */
  public static byte[] encode(int opcode, boolean fin, int rsv, byte[] payload) {
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.writeBytes(header(opcode, fin, rsv, payload.length, mask));
    for (int i = 0; i < payload.length; i++) {
      f.write(payload[i] ^ mask[i % 4]);
    }
    return f.toByteArray();
  }

  /** Writes {@code frames} at once (one segment, read by the server in one go). */
  public void send(byte[]... frames) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] f : frames) {
      all.writeBytes(f);
    }
    out.write(all.toByteArray());
    out.flush();
  }

  /**
   * Sends only the header of a masked frame claiming {@code length} payload bytes (any 63-bit
   * value), then {@code some} bytes of that payload: a frame whose payload never fully comes.
   */
  public void frameStart(int opcode, boolean fin, long length, int some) throws IOException {
    out.write(header(opcode, fin, 0, length, new byte[4]));
    out.write(new byte[some]); // zeros: masked with a zero mask
    out.flush();
  }

  private static byte[] header(int opcode, boolean fin, int rsv, long n, byte[] mask) {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write((fin ? 0x80 : 0) | (rsv & 7) << 4 | opcode);
    if (n < 126) {
      f.write(0x80 | (int) n);
    } else if (n < 65536) {
      f.write(0x80 | 126);
      f.write((int) (n >>> 8));
      f.write((int) (n & 0xff));
    } else {
      f.write(0x80 | 127);
      for (int i = 7; i >= 0; i--) {
        f.write((int) (n >>> (8 * i)) & 0xff);
      }
    }
    f.write(mask, 0, 4);
    return f.toByteArray();
  }

  public void text(String s) throws IOException {
    frame(1, true, s.getBytes(StandardCharsets.UTF_8));
  }

  /** One frame as read: its first byte (FIN, RSV, opcode) and its payload. */
  public record Frame(int b0, byte[] payload) {
    public int opcode() {
      return b0 & 0x0f;
    }

    /** RSV1: the message is compressed (permessage-deflate). */
    public boolean rsv1() {
      return (b0 & 0x40) != 0;
    }
  }

  /** Reads the next frame, whatever it is. */
  public Frame readFrame() throws IOException {
    int b0 = in.read();
    if (b0 < 0) {
      throw new java.io.EOFException("connection ended");
    }
    return new Frame(b0, in.readNBytes((int) length(in.read())));
  }

  /** Reads the next text message (one unfragmented, uncompressed frame), skipping pings. */
  public String readText() throws IOException {
    while (true) {
      int b0 = in.read();
      if (b0 < 0) {
        throw new java.io.EOFException("connection ended");
      }
      byte[] payload = in.readNBytes((int) length(in.read()));
      if ((b0 & 0x0f) == 1) {
        return new String(payload, StandardCharsets.UTF_8);
      }
      if ((b0 & 0x0f) == 8) {
        throw new IOException("closed: " + (payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005));
      }
    }
  }

  private long length(int b1) throws IOException {
    long len = b1 & 0x7f;
    if (len == 126) {
      len = (in.read() << 8) | in.read();
    } else if (len == 127) {
      len = 0;
      for (int i = 0; i < 8; i++) {
        len = (len << 8) | in.read();
      }
    }
    return len;
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
      byte[] payload = in.readNBytes((int) length(in.read()));
      if ((b0 & 0x0f) == 8) {
        return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
      }
    }
  }

  /**
   * Reads frames until a text frame (unfragmented, as the server sends them) and returns its
   * text; null if the connection ends or closes first. Answers nothing (not even pings).
   */
  public String readTextOrNull() throws IOException {
    while (true) {
      int b0 = in.read();
      if (b0 < 0) {
        return null;
      }
      byte[] payload = in.readNBytes((int) length(in.read()));
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
