package io.pulse.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * WebSocket subscribers on bare Netty ({@link LeanClients}): the same protocol as a browser
 * (HTTP/1.1 upgrade, masked client frames, {@code subscribe}, a pong for every ping, the close
 * handshake), each received frame parsed in place. With {@code compression}, each offers
 * permessage-deflate as browsers do ({@code client_max_window_bits}, keeping its inflater's
 * window across messages) and inflates every compressed message before it is counted; a
 * connection the server does not grant the extension to fails to open.
 */
final class LeanWsClients extends LeanClients {

  private static final byte[] SUBSCRIBED = "\"type\":\"subscribed\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ERROR = "\"type\":\"error\"".getBytes(StandardCharsets.US_ASCII);
  private static final ByteBuf HEAD_END = Unpooled.unreleasableBuffer(
      Unpooled.wrappedBuffer(new byte[] {'\r', '\n', '\r', '\n'}));
  private static final int OP_CONTINUATION = 0x0;
  private static final int OP_TEXT = 0x1;
  private static final int OP_CLOSE = 0x8;
  private static final int OP_PING = 0x9;

  /** Path of the event-bus bridge's raw WebSocket endpoint on the HTTP port (bridge-fanout). */
  static final String BRIDGE_PATH = "/eventbus/websocket";
  /** The bridge closes a socket that sends no ping for 10 s (SockJSBridgeOptions' pingTimeout). */
  static final long BRIDGE_PING_MS = 5_000;
  private static final byte[] TAIL = {0x00, 0x00, (byte) 0xff, (byte) 0xff};

  private final boolean bridge;
  private final boolean compression;
  private final List<String> sourceAddresses;
  private String room; // cluster-hold: the chat room some connections join once subscribed, or null
  private java.util.function.IntFunction<String> memberName; // connection index -> its name in the room, or null
  private final java.util.concurrent.atomic.LongAdder wireBytes = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder compressed = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder texts = new java.util.concurrent.atomic.LongAdder();

  /** {@code deliveries} may be null when nothing is measured. */
  LeanWsClients(Deliveries deliveries) {
    this(deliveries, false, false, List.of());
  }

  /** Connections from {@code sourceAddresses} in turn (empty: the kernel's choice). */
  LeanWsClients(Deliveries deliveries, List<String> sourceAddresses) {
    this(deliveries, false, false, sourceAddresses);
  }

  private LeanWsClients(Deliveries deliveries, boolean bridge, boolean compression, List<String> sourceAddresses) {
    super(deliveries);
    this.bridge = bridge;
    this.compression = compression;
    this.sourceAddresses = List.copyOf(sourceAddresses);
  }

  /**
   * Subscribers of the event-bus bridge instead ({@code bridge-fanout}), on {@value #BRIDGE_PATH}
   * of the HTTP port, speaking its JSON: {@code register} for {@code pulse.ch.<channel>} (no
   * answer: open once sent), a {@code ping} every 5 s, envelopes in {@code rec} frames.
   */
  static LeanWsClients bridge(Deliveries deliveries) {
    return new LeanWsClients(deliveries, true, false, List.of());
  }

  /**
   * Subscribers from {@code sourceAddresses} of which some also {@code join} {@code room} once
   * subscribed: connection i under the name {@code memberName.apply(i)}, none where that is null.
   * The {@code joined} answer and the room's envelopes count as unrecognised deliveries.
   */
  static LeanWsClients joining(Deliveries deliveries, List<String> sourceAddresses, String room,
      java.util.function.IntFunction<String> memberName) {
    LeanWsClients clients = new LeanWsClients(deliveries, false, false, sourceAddresses);
    clients.room = room;
    clients.memberName = memberName;
    return clients;
  }

  /** With {@code compression}, the subscribers offer permessage-deflate and inflate. */
  static LeanWsClients compressing(Deliveries deliveries, boolean compression) {
    return new LeanWsClients(deliveries, false, compression, List.of());
  }

  /** Payload bytes of the text frames received (as on the wire: compressed or not). */
  long wireBytes() {
    return wireBytes.sum();
  }

  /** Text messages received (whether counted as deliveries or not: warm-up, replies). */
  long textMessages() {
    return texts.sum();
  }

  /** Starts {@link #wireBytes}, {@link #textMessages} and {@link #compressedMessages} again from 0. */
  void resetCounts() {
    wireBytes.reset();
    compressed.reset();
    texts.reset();
  }

  /** Text messages received compressed. */
  long compressedMessages() {
    return compressed.sum();
  }

  @Override
  Opened open(List<Node> nodes, int count, String channel, int concurrency, long deadline) throws InterruptedException {
    return Opener.run(count, concurrency, deadline, i -> {
      Node node = nodes.get(i % nodes.size());
      String from = sourceAddresses.isEmpty() ? null : sourceAddresses.get(i % sourceAddresses.size());
      return bridge ? connect(node.httpHost, node.httpPort, from, new Subscriber(i, node, channel))
          : connect(node.wsHost, node.wsPort, from, new Subscriber(i, node, channel));
    });
  }

  @Override
  protected void beforeClose(Channel channel) {
    channel.writeAndFlush(frame(OP_CLOSE, new byte[] {0x03, (byte) 0xe8})); // 1000
  }

  /** A masked client frame (RFC 6455 §5.2), FIN set. */
  static ByteBuf frame(int opcode, byte[] payload) {
    int n = payload.length;
    ByteBuf out = Unpooled.buffer(14 + n);
    out.writeByte(0x80 | opcode);
    if (n < 126) {
      out.writeByte(0x80 | n);
    } else if (n <= 0xFFFF) {
      out.writeByte(0x80 | 126).writeShort(n);
    } else {
      out.writeByte(0x80 | 127).writeLong(n);
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    out.writeBytes(mask);
    for (int i = 0; i < n; i++) {
      out.writeByte(payload[i] ^ mask[i & 3]);
    }
    return out;
  }

  /** One connection: the upgrade, then frames. Runs on its channel's event loop only. */
  private final class Subscriber extends Connection {

    private final int index;
    private final Node node;
    private final String channel;
    private boolean upgraded;
    private ByteBuf pending; // bytes of an incomplete head or frame, or null
    private byte[] message = new byte[512]; // the payload of the frame (or fragments) being read
    private int messageLength;
    private java.util.concurrent.ScheduledFuture<?> pinging; // bridge only
    private boolean deflated; // the message being read is compressed (RSV1 on its first frame)
    private java.util.zip.Inflater inflater; // with compression: this connection's, window kept
    private byte[] inflated;

    Subscriber(int index, Node node, String channel) {
      this.index = index;
      this.node = node;
      this.channel = channel;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      String request = (bridge
          ? "GET " + BRIDGE_PATH + " HTTP/1.1\r\nHost: " + node.httpHost + ":" + node.httpPort
          : "GET " + node.wsPath + " HTTP/1.1\r\nHost: " + node.wsHost + ":" + node.wsPort)
          + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
          + (compression ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "")
          + "Sec-WebSocket-Key: cHVsc2UtYmVuY2gta2V5MQ==\r\n\r\n";
      ctx.writeAndFlush(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      if (pending != null) {
        pending.writeBytes(in);
        in.release();
        in = pending;
        pending = null;
      }
      try {
        if (!upgraded && !readHead(ctx, in)) {
          return;
        }
        while (upgraded && readFrame(ctx, in)) {
          // one frame handled
        }
      } finally {
        if (in.isReadable() && ctx.channel().isActive()) {
          pending = ctx.alloc().heapBuffer(Math.max(256, in.readableBytes() * 2));
          pending.writeBytes(in);
        }
        in.release();
      }
    }

    /** Reads the upgrade answer; false while it is incomplete (or refused: the channel closes). */
    private boolean readHead(ChannelHandlerContext ctx, ByteBuf in) {
      int end = ByteBufUtil.indexOf(HEAD_END.duplicate(), in);
      if (end < 0) {
        return false;
      }
      String head = in.readCharSequence(end + 4 - in.readerIndex(), StandardCharsets.US_ASCII).toString();
      if (!head.startsWith("HTTP/1.1 101")) {
        ended("upgrade refused: " + head.lines().findFirst().orElse(head));
        ctx.close();
        return false;
      }
      if (compression && !head.toLowerCase(java.util.Locale.ROOT).contains("sec-websocket-extensions: permessage-deflate")) {
        ended("permessage-deflate not granted (is ws.compression on?)");
        ctx.close();
        return false;
      }
      if (compression) {
        inflater = new java.util.zip.Inflater(true);
        inflated = new byte[4096];
      }
      upgraded = true;
      if (bridge) {
        ctx.writeAndFlush(frame(OP_TEXT, ("{\"type\":\"register\",\"address\":\"pulse.ch." + channel + "\"}")
            .getBytes(StandardCharsets.UTF_8)));
        byte[] ping = "{\"type\":\"ping\"}".getBytes(StandardCharsets.US_ASCII);
        pinging = ctx.executor().scheduleAtFixedRate(() -> {
          if (ctx.channel().isActive()) {
            ctx.writeAndFlush(frame(OP_TEXT, ping));
          }
        }, BRIDGE_PING_MS, BRIDGE_PING_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        opened();
        return true;
      }
      byte[] subscribe = ("{\"type\":\"subscribe\",\"channel\":\"" + channel + "\"}").getBytes(StandardCharsets.UTF_8);
      ctx.writeAndFlush(frame(OP_TEXT, subscribe));
      return true;
    }

    /** Reads one whole frame if there is one; false when more bytes are needed. */
    private boolean readFrame(ChannelHandlerContext ctx, ByteBuf in) {
      int start = in.readerIndex();
      if (in.readableBytes() < 2) {
        return false;
      }
      int b0 = in.getUnsignedByte(start);
      int b1 = in.getUnsignedByte(start + 1);
      long length = b1 & 0x7F;
      int header = 2;
      if (length == 126) {
        if (in.readableBytes() < 4) {
          return false;
        }
        length = in.getUnsignedShort(start + 2);
        header = 4;
      } else if (length == 127) {
        if (in.readableBytes() < 10) {
          return false;
        }
        length = in.getLong(start + 2);
        header = 10;
      }
      if ((b1 & 0x80) != 0 || length > Integer.MAX_VALUE - 16) {
        ctx.close(); // servers do not mask; nothing this large is sent
        return false;
      }
      if (in.readableBytes() < header + length) {
        return false;
      }
      int opcode = b0 & 0x0F;
      boolean fin = (b0 & 0x80) != 0;
      int n = (int) length;
      int at = start + header;
      in.readerIndex(at + n);
      switch (opcode) {
        case OP_TEXT, OP_CONTINUATION -> {
          if (opcode == OP_TEXT) {
            messageLength = 0;
            deflated = (b0 & 0x40) != 0;
          }
          wireBytes.add(n);
          if (messageLength + n > message.length) {
            message = java.util.Arrays.copyOf(message, Math.max(message.length * 2, messageLength + n));
          }
          in.getBytes(at, message, messageLength, n);
          messageLength += n;
          if (fin) {
            onText(ctx);
          }
        }
        case OP_PING -> {
          byte[] payload = new byte[n];
          in.getBytes(at, payload);
          ctx.writeAndFlush(frame(0xA, payload));
        }
        case OP_CLOSE -> {
          int code = n >= 2 ? in.getUnsignedShort(at) : 1005;
          ended("close " + code);
          ctx.writeAndFlush(frame(OP_CLOSE, n >= 2 ? new byte[] {(byte) (code >> 8), (byte) code} : new byte[0]))
              .addListener(ChannelFutureListener.CLOSE);
        }
        default -> {
          // pong, binary: not part of the protocol's traffic to a subscriber
        }
      }
      return ctx.channel().isActive();
    }

    private void onText(ChannelHandlerContext ctx) {
      texts.increment();
      byte[] text = message;
      int length = messageLength;
      if (deflated) {
        if (inflater == null) {
          ended("a compressed message without permessage-deflate");
          ctx.close();
          return;
        }
        length = inflate();
        if (length < 0) {
          ended("a compressed message that does not inflate");
          ctx.close();
          return;
        }
        text = inflated;
        compressed.increment();
      }
      if (isOpen()) {
        if (deliveries != null) {
          deliveries.onMessage(index, text, 0, length);
        }
        return;
      }
      if (Bytes.indexOf(text, 0, length, SUBSCRIBED) >= 0) {
        opened();
        String name = room == null ? null : memberName.apply(index);
        if (name != null) {
          ctx.writeAndFlush(frame(OP_TEXT, new io.vertx.core.json.JsonObject().put("type", "join").put("room", room)
              .put("name", name).encode().getBytes(StandardCharsets.UTF_8)));
        }
      } else if (Bytes.indexOf(text, 0, length, ERROR) >= 0) {
        ended("subscribe refused: " + new String(text, 0, length, StandardCharsets.UTF_8));
        ctx.close();
      }
    }

    /** Inflates the message read (RFC 7692 §7.2.2: its bytes, then 00 00 ff ff) into {@code inflated}; -1 if corrupt. */
    private int inflate() {
      if (messageLength + 4 > message.length) {
        message = java.util.Arrays.copyOf(message, messageLength + 4);
      }
      System.arraycopy(TAIL, 0, message, messageLength, 4);
      inflater.setInput(message, 0, messageLength + 4);
      int n = 0;
      try {
        while (true) {
          n += inflater.inflate(inflated, n, inflated.length - n);
          if (inflater.needsInput() && n < inflated.length) {
            return n;
          }
          if (n == inflated.length) {
            inflated = java.util.Arrays.copyOf(inflated, inflated.length * 2);
          } else if (inflater.finished() || inflater.needsDictionary()) {
            return -1; // a final block: not what permessage-deflate sends
          }
        }
      } catch (java.util.zip.DataFormatException e) {
        return -1;
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (pinging != null) {
        pinging.cancel(false);
      }
      if (pending != null) {
        pending.release();
        pending = null;
      }
      if (inflater != null) {
        inflater.end();
        inflater = null;
      }
      super.channelInactive(ctx);
    }
  }
}
