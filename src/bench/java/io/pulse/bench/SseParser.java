package io.pulse.bench;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Incremental {@code text/event-stream} reader over raw bytes: feed it chunks as they arrive,
 * split anywhere, and it hands the {@code data} of each event (its {@code data:} lines joined by
 * newlines) to the handler when the event's blank line arrives. Comments, {@code id:},
 * {@code event:} and {@code retry:} lines are skipped; CR LF and LF line ends are both accepted.
 * No String is made per event. One parser per stream, used from one thread.
 */
final class SseParser {

  /** Receives one event's data as {@code bytes[from, to)}; valid only during the call. */
  interface DataHandler {
    void onData(byte[] bytes, int from, int to);
  }

  private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);

  private final DataHandler handler;
  private byte[] line = new byte[256];
  private int lineLength;
  private byte[] data = new byte[256];
  private int dataLength;
  private boolean hasData;

  SseParser(DataHandler handler) {
    this.handler = handler;
  }

  void feed(Buffer chunk) {
    feed(chunk.getBytes());
  }

  void feed(String chunk) {
    feed(chunk.getBytes(StandardCharsets.UTF_8));
  }

  void feed(byte[] chunk) {
    feed(chunk, 0, chunk.length);
  }

  /** Feeds {@code chunk[from, to)}. */
  void feed(byte[] chunk, int from, int to) {
    int start = from;
    for (int i = from; i < to; i++) {
      if (chunk[i] == '\n') {
        if (lineLength > 0) { // the line began in an earlier chunk
          append(chunk, start, i);
          endOfLine(line, 0, lineLength);
          lineLength = 0;
        } else {
          endOfLine(chunk, start, i);
        }
        start = i + 1;
      }
    }
    append(chunk, start, to);
  }

  private void append(byte[] chunk, int from, int to) {
    line = put(line, lineLength, chunk, from, to);
    lineLength += to - from;
  }

  private void endOfLine(byte[] b, int from, int to) {
    int end = to > from && b[to - 1] == '\r' ? to - 1 : to;
    if (end == from) {
      if (hasData) {
        handler.onData(data, 0, dataLength);
      }
      dataLength = 0;
      hasData = false;
    } else if (startsWithData(b, from, end)) {
      int value = from + DATA.length;
      if (value < end && b[value] == ' ') {
        value++;
      }
      if (hasData) {
        addData(new byte[] {'\n'}, 0, 1);
      }
      addData(b, value, end);
      hasData = true;
    }
  }

  private static boolean startsWithData(byte[] b, int from, int end) {
    if (end - from < DATA.length) {
      return false;
    }
    for (int k = 0; k < DATA.length; k++) {
      if (b[from + k] != DATA[k]) {
        return false;
      }
    }
    return true;
  }

  private void addData(byte[] b, int from, int to) {
    data = put(data, dataLength, b, from, to);
    dataLength += to - from;
  }

  /** Copies {@code src[from, to)} to {@code dst} at {@code used}, growing it when needed; returns it. */
  private static byte[] put(byte[] dst, int used, byte[] src, int from, int to) {
    int n = to - from;
    byte[] out = used + n > dst.length ? Arrays.copyOf(dst, Math.max(dst.length * 2, used + n)) : dst;
    System.arraycopy(src, from, out, used, n);
    return out;
  }
}
