package io.pulse.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Server-Sent Events subscribers on bare Netty ({@link LeanClients}): {@code GET /events?channel=…}
 * over HTTP/1.1, the chunked body decoded as it arrives and read by an {@link SseParser}. A stream
 * counts as open once a 200 {@code text/event-stream} head has arrived.
 */
final class LeanSseClients extends LeanClients {

  private final List<String> sourceAddresses;

  LeanSseClients(Deliveries deliveries) {
    this(deliveries, List.of());
  }

  /** Streams from {@code sourceAddresses} in turn (empty: the kernel's choice). */
  LeanSseClients(Deliveries deliveries, List<String> sourceAddresses) {
    super(deliveries);
    this.sourceAddresses = List.copyOf(sourceAddresses);
  }

  @Override
  Opened open(List<Node> nodes, int count, String channel, int concurrency, long deadline) throws InterruptedException {
    String uri = "/events?channel=" + URLEncoder.encode(channel, StandardCharsets.UTF_8);
    return Opener.run(count, concurrency, deadline, i -> {
      Node node = nodes.get(i % nodes.size());
      String from = sourceAddresses.isEmpty() ? null : sourceAddresses.get(i % sourceAddresses.size());
      return connect(node.httpHost, node.httpPort, from, new Stream(i, node, uri));
    });
  }

  /** One stream: the response head, then the chunked body. Runs on its channel's event loop only. */
  private final class Stream extends Connection {

    private static final byte[] HEAD_END = {'\r', '\n', '\r', '\n'};

    private final Node node;
    private final String uri;
    private final SseParser parser;
    private byte[] bytes = new byte[2048]; // what arrived, copied out of Netty's buffer
    private byte[] head = new byte[0]; // the head so far, until its blank line
    private boolean chunked;
    // chunked body: reading a size line, a chunk's data (remaining bytes) or the CRLF after it
    private int state; // 0 size, 1 data, 2 CRLF after data, 3 end
    private long size;
    private boolean extension;
    private long remaining;

    Stream(int index, Node node, String uri) {
      this.node = node;
      this.uri = uri;
      this.parser = new SseParser((b, from, to) -> deliveries.onMessage(index, b, from, to));
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      String request = "GET " + uri + " HTTP/1.1\r\nHost: " + node.httpHost + ":" + node.httpPort
          + "\r\nAccept: text/event-stream\r\n\r\n";
      ctx.writeAndFlush(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      int n = in.readableBytes();
      if (n > bytes.length) {
        bytes = new byte[Math.max(n, bytes.length * 2)];
      }
      in.readBytes(bytes, 0, n);
      in.release();
      int at = 0;
      if (!isOpen()) {
        at = readHead(ctx, n);
        if (at < 0) {
          return;
        }
      }
      if (chunked) {
        decodeChunks(ctx, at, n);
      } else {
        parser.feed(bytes, at, n);
      }
    }

    /** Collects the head; returns where the body starts in {@link #bytes}, or -1 (incomplete, or refused). */
    private int readHead(ChannelHandlerContext ctx, int n) {
      int before = head.length;
      head = Arrays.copyOf(head, before + n);
      System.arraycopy(bytes, 0, head, before, n);
      int end = Bytes.indexOf(head, 0, head.length, HEAD_END);
      if (end < 0) {
        return -1;
      }
      String text = new String(head, 0, end, StandardCharsets.ISO_8859_1);
      String lower = text.toLowerCase(Locale.ROOT);
      if (!text.startsWith("HTTP/1.1 200") || !lower.contains("content-type: text/event-stream")) {
        ended("GET " + uri + " answered " + text.lines().findFirst().orElse(text));
        ctx.close();
        return -1;
      }
      chunked = lower.contains("transfer-encoding: chunked");
      opened();
      int bodyInHead = head.length - (end + HEAD_END.length);
      head = null;
      return n - bodyInHead;
    }

    private void decodeChunks(ChannelHandlerContext ctx, int from, int to) {
      int i = from;
      while (i < to) {
        switch (state) {
          case 0 -> { // size line: hex digits, maybe ";extension", CRLF
            byte b = bytes[i++];
            if (b == '\n') {
              extension = false;
              if (size == 0) {
                state = 3;
                ended("stream ended");
                ctx.close();
                return;
              }
              remaining = size;
              state = 1;
            } else if (b == ';') {
              extension = true;
            } else if (!extension && Character.digit(b, 16) >= 0) {
              size = size * 16 + Character.digit(b, 16);
            }
          }
          case 1 -> {
            int take = (int) Math.min(remaining, to - i);
            parser.feed(bytes, i, i + take);
            i += take;
            remaining -= take;
            if (remaining == 0) {
              state = 2;
            }
          }
          case 2 -> {
            if (bytes[i++] == '\n') {
              state = 0;
              size = 0;
            }
          }
          default -> {
            return;
          }
        }
      }
    }
  }
}
