package io.pulse.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code --slow-consumers K}: K more subscribers of the run's channel with policy
 * {@code conflate} that never read, so that the fast subscribers' latency can be compared with
 * and without them. Each is a blocking socket with a small receive window; besides the run's
 * channel it subscribes to a filler channel of its own ({@code <channel>.fill}), which
 * {@link #fill} floods with large messages until every slow socket is full and the server is
 * conflating for it: from then on every run message to a slow consumer replaces the one waiting.
 * WebSocket ones send a ping frame every 10 s, so the idle timeout does not close them.
 */
final class SlowConsumers implements AutoCloseable {

  private static final int RECEIVE_BUFFER = 4096;
  private static final String FILL = "f".repeat(32_000);

  private final List<Socket> sockets = new ArrayList<>();
  private final boolean ws;
  private final String fillChannel;
  private final Thread pinger;
  private volatile boolean closing;

  private SlowConsumers(boolean ws, String fillChannel) {
    this.ws = ws;
    this.fillChannel = fillChannel;
    this.pinger = new Thread(this::pingLoop, "bench-slow-pinger");
    pinger.setDaemon(true);
  }

  /** Opens {@code count} slow subscribers over {@code nodes} in turn; throws if one is refused. */
  static SlowConsumers open(boolean ws, List<Node> nodes, int count, String channel) throws IOException {
    SlowConsumers s = new SlowConsumers(ws, channel + ".fill");
    try {
      for (int i = 0; i < count; i++) {
        Node n = nodes.get(i % nodes.size());
        s.sockets.add(ws ? s.openWs(n, channel) : s.openSse(n, channel));
      }
    } catch (IOException e) {
      s.close();
      throw e;
    }
    if (ws) {
      s.pinger.start();
    }
    return s;
  }

  int count() {
    return sockets.size();
  }

  /** The transport label of the nodes' metrics. */
  String transport() {
    return ws ? "ws" : "sse";
  }

  private Socket openWs(Node n, String channel) throws IOException {
    Socket s = connect(n.wsHost, n.wsPort);
    byte[] key = new byte[16];
    ThreadLocalRandom.current().nextBytes(key);
    OutputStream out = s.getOutputStream();
    out.write(("GET " + n.wsPath + " HTTP/1.1\r\nHost: " + n.wsHost + ":" + n.wsPort + "\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key)
        + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    InputStream in = s.getInputStream();
    String status = head(in);
    if (!status.contains(" 101 ")) {
      s.close();
      throw new IOException("slow consumer: upgrade refused: " + status);
    }
    for (String ch : List.of(channel, fillChannel)) {
      out.write(frame(1, ("{\"type\":\"subscribe\",\"channel\":\"" + ch + "\",\"policy\":\"conflate\"}")
          .getBytes(StandardCharsets.UTF_8)));
      String reply = readText(in);
      if (reply == null || !reply.contains("\"subscribed\"")) {
        s.close();
        throw new IOException("slow consumer: subscribe with policy conflate refused: " + reply);
      }
    }
    return s;
  }

  private Socket openSse(Node n, String channel) throws IOException {
    Socket s = connect(n.httpHost, n.httpPort);
    s.getOutputStream().write(("GET /events?channel=" + channel + "&channel=" + fillChannel + "&policy=conflate HTTP/1.1\r\n"
        + "Host: " + n.httpHost + ":" + n.httpPort + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    String status = head(s.getInputStream());
    if (!status.contains(" 200 ")) {
      s.close();
      throw new IOException("slow consumer: /events with policy conflate refused: " + status);
    }
    return s;
  }

  private static Socket connect(String host, int port) throws IOException {
    Socket s = new Socket();
    s.setReceiveBufferSize(RECEIVE_BUFFER); // before connecting: a small window
    s.connect(new InetSocketAddress(host, port), 10_000);
    s.setSoTimeout(10_000);
    return s;
  }

  /**
   * Publishes large messages to the filler channel until the slow sockets are full for good: the
   * kernel takes a few MB per socket first (its send buffer grows meanwhile, so a socket may look
   * full for a moment and take more again); full for good = in two windows of 10 fillers in a row,
   * nearly every filler was conflated for every slow consumer ({@code pulse_conflated_total}).
   * At most {@code maxMessages}; returns the number published.
   */
  int fill(Node publishTo, List<Node> subscriberNodes, int maxMessages, long deadline) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    double windowStart = conflated(subscriberNodes);
    int fullWindows = 0;
    String body = "{\"channel\":\"" + fillChannel + "\",\"event\":\"fill\",\"data\":\"" + FILL + "\"}";
    int sent = 0;
    while (sent < maxMessages && System.currentTimeMillis() < deadline) {
      if (sent > 0 && sent % 10 == 0) {
        double now = conflated(subscriberNodes);
        fullWindows = now - windowStart >= 9.0 * sockets.size() ? fullWindows + 1 : 0;
        windowStart = now;
        if (fullWindows >= 2) {
          break;
        }
      }
      HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(publishTo.httpBase() + "/api/publish"))
          .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
      if (res.statusCode() != 202) {
        throw new IOException("filler publish answered " + res.statusCode() + ": " + res.body());
      }
      sent++;
    }
    return sent;
  }

  /** {@code pulse_conflated_total} of this transport, summed over {@code nodes}; NaN if one cannot be read. */
  double conflated(List<Node> nodes) {
    double sum = 0;
    for (Node n : nodes) {
      String text = ControlHttp.text(n.httpBase() + "/metrics");
      if (text == null) {
        return Double.NaN;
      }
      sum += sample(text, "pulse_conflated_total", "transport=\"" + transport() + "\"");
    }
    return sum;
  }

  /** The value of the first sample of {@code name} whose labels contain {@code label}; 0 if none. */
  static double sample(String exposition, String name, String label) {
    for (String line : exposition.split("\n")) {
      if (line.startsWith(name + "{") && line.contains(label)) {
        int close = line.indexOf('}');
        try {
          return Double.parseDouble(line.substring(close + 1).trim().split(" ")[0]); // a timestamp may follow
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 0;
  }

  private void pingLoop() {
    while (!closing) {
      try {
        Thread.sleep(10_000);
      } catch (InterruptedException e) {
        return;
      }
      for (Socket s : sockets) {
        try {
          s.getOutputStream().write(frame(9, new byte[0]));
        } catch (IOException e) {
          // closed by the server: it shows in the nodes' disconnect counts
        }
      }
    }
  }

  /** Reads an HTTP response head; returns its status line. */
  private static String head(InputStream in) throws IOException {
    String status = line(in);
    while (!line(in).isEmpty()) {
      // headers
    }
    return status;
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.US_ASCII);
  }

  /** One unfragmented text frame's text (pings skipped); null at a close or the end. */
  private static String readText(InputStream in) throws IOException {
    while (true) {
      int b0 = in.read();
      if (b0 < 0) {
        return null;
      }
      long len = in.read() & 0x7f;
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
        return null;
      }
      if ((b0 & 0x0f) == 1) {
        return new String(payload, StandardCharsets.UTF_8);
      }
    }
  }

  /** A masked client frame, FIN set. */
  private static byte[] frame(int opcode, byte[] payload) {
    var b = LeanWsClients.frame(opcode, payload);
    byte[] out = new byte[b.readableBytes()];
    b.readBytes(out);
    b.release();
    return out;
  }

  @Override
  public void close() {
    closing = true;
    pinger.interrupt();
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException e) {
        // best effort
      }
    }
  }
}
