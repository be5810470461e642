package io.pulse.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The command line of {@code pulse bench}, parsed and checked. Every number has a default small
 * enough for a run to finish within a minute on a 2-core machine; {@link #parse} throws
 * {@link IllegalArgumentException} with a one-line message for anything it does not accept.
 */
public final class BenchArgs {

  /** The scenarios, as named on the command line. */
  public static final Set<String> SCENARIOS = Set.of("ws-fanout", "sse-fanout", "bridge-fanout", "cross-node", "burst", "idle", "churn",
      "cluster-hold");
  private static final Set<String> FANOUT = Set.of("ws-fanout", "sse-fanout", "cross-node", "burst");

  private static final String[][] OPTIONS = {
      {"--subscribers N", "clients (fan-out) or connections held (idle, cluster-hold)", "1000, burst 5000"},
      {"--messages M", "messages published in the measured phase", "200, cluster-hold 10"},
      {"--rate R", "messages per second", "20, burst 1000"},
      {"--nodes K", "nodes to start (cross-node, cluster-hold: at least 2)", "1, cross-node 2, cluster-hold 6"},
      {"--cycles C", "churn: connect-subscribe-disconnect cycles", "1000"},
      {"--channels K", "churn: spread the cycles over K channels", "one per cycle"},
      {"--concurrency P", "connections opened (churn: cycles run) at a time", "200, churn 50"},
      {"--client lean|vertx", "fan-out subscribers: bare Netty, or Vert.x clients", "lean"},
      {"--local-subscribers K", "cross-node: WS comparison group on the publisher's node", "N/10, 1 to 100"},
      {"--transport ws|sse", "burst: the subscribers' transport; cross-node: on the other nodes", "ws"},
      {"--compression on|off", "WebSocket fan-out: offer permessage-deflate, inflate", "off"},
      {"--payload BYTES", "fan-out: pad each message with sensor-like JSON", "0 (about 60)"},
      {"--slow-consumers K", "fan-out: K more subscribers, policy conflate, never read", "0"},
      {"--warmup S", "seconds of unmeasured publishing before the run (burst: at 20/s)", "2"},
      {"--hold S", "idle: seconds to hold the connections before reading", "3"},
      {"--timeout S", "hard limit for the whole run, at least 60", "300"},
      {"--target URL", "use this running node (http base URL); repeatable", ""},
      {"--jar PATH", "the server jar to start nodes from", "the running pulse.jar"},
      {"--node-jvm-arg ARG", "extra JVM argument for the started nodes; repeatable", ""},
      {"--node-config k=v", "extra -Dpulse.k=v for the started nodes; repeatable", ""},
      {"--source-addresses N", "idle: spread the connections over 127.0.0.1 … 127.0.0.N", "1 per 25,000 connections"},
      {"--client-processes P", "cluster-hold: client JVMs the connections are split over", "6"},
      {"--sse-percent S", "cluster-hold: share of the connections that are SSE streams", "10"},
      {"--spacing S", "cluster-hold: seconds between the measured messages", "2"},
      {"--pin", "nodes on the upper half of the cores, the client on the rest (taskset)", "off"}};

  public static final String USAGE = usage();

  public final String scenario;
  public final int subscribers;
  public final int messages;
  public final int rate;
  public final int nodes;
  public final int cycles;
  public final int concurrency;
  /** Churn: channels the cycles are spread over; null = one channel per cycle. */
  public final Integer channels;
  public final int warmupSeconds;
  public final int holdSeconds;
  public final int timeoutSeconds;
  public final List<String> targets;
  public final Path jar;
  public final List<String> nodeJvmArgs;
  public final List<String> nodeConfig;
  /** Fan-out subscribers on bare Netty (true) or on Vert.x's WebSocket and HTTP clients. */
  public final boolean leanClient;
  /** {@code --pin}: nodes and client on separate cores (see {@link Pinning}). */
  public final boolean pin;
  /** Idle: loopback source addresses to spread the connections over; null = automatic ({@link SourceAddresses}). */
  public final Integer sourceAddresses;
  /** Cross-node: the size of the comparison group on the publisher's node; null = N/10, 1 to 100. */
  public final Integer localSubscribers;
  /** Burst: the subscribers' transport; cross-node: that of the subscribers on the other nodes (the comparison group is WS). "ws" or "sse". */
  public final String transport;
  /** WebSocket subscribers offer permessage-deflate and inflate what comes compressed. */
  public final boolean compression;
  /** Approximate bytes of sensor-like JSON added to each message's data (0: none). */
  public final int payloadBytes;
  /** Fan-out: extra subscribers with policy conflate whose sockets are kept full (they never read). */
  public final int slowConsumers;
  /** Cluster-hold: client JVMs the connections are split over. */
  public final int clientProcesses;
  /** Cluster-hold: per cent of the connections that are SSE streams (the rest WebSocket). */
  public final int ssePercent;
  /** Cluster-hold: seconds between two measured messages. */
  public final int spacingSeconds;

  private BenchArgs(Builder b) {
    scenario = b.scenario;
    boolean burst = scenario.equals("burst");
    subscribers = b.subscribers != null ? b.subscribers : burst ? 5000 : 1000;
    rate = b.rate != null ? b.rate : burst ? 1000 : 20;
    cycles = b.cycles;
    channels = b.channels;
    warmupSeconds = b.warmup;
    holdSeconds = b.hold;
    timeoutSeconds = b.timeout;
    targets = List.copyOf(b.targets);
    jar = b.jar;
    nodeJvmArgs = List.copyOf(b.jvmArgs);
    nodeConfig = List.copyOf(b.config);
    leanClient = b.leanClient;
    pin = b.pin;
    sourceAddresses = b.sourceAddresses;
    transport = b.transport;
    localSubscribers = b.localSubscribers;
    compression = b.compression;
    payloadBytes = b.payload;
    slowConsumers = b.slowConsumers;
    clientProcesses = b.clientProcesses != null ? b.clientProcesses : 6;
    ssePercent = b.ssePercent != null ? b.ssePercent : 10;
    spacingSeconds = b.spacing != null ? b.spacing : 2;
    messages = b.messages != null ? b.messages : scenario.equals("cluster-hold") ? 10 : 200;
    int defaultNodes = scenario.equals("cross-node") ? 2 : scenario.equals("cluster-hold") ? 6 : 1;
    nodes = !targets.isEmpty() ? targets.size() : b.nodes != null ? b.nodes : defaultNodes;
    concurrency = b.concurrency != null ? b.concurrency : scenario.equals("churn") ? 50 : 200;
  }

  /** True when the bench starts (and stops) its own nodes. */
  public boolean startsNodes() {
    return targets.isEmpty();
  }

  /** Connections the bench JVM itself holds (cluster-hold's are in its client processes). */
  public int connectionsInThisJvm() {
    return scenario.equals("cluster-hold") ? 0 : subscribers;
  }

  /** Parses {@code args} (without the leading {@code bench}); {@code --help} yields null. */
  public static BenchArgs parse(String... args) {
    Builder b = new Builder();
    for (int i = 0; i < args.length; i++) {
      String opt = args[i];
      if (opt.equals("--help") || opt.equals("-h")) {
        return null;
      }
      if (!opt.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + opt + "'");
      }
      if (opt.equals("--pin")) {
        b.pin = true;
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(opt + " needs a value");
      }
      String v = args[++i];
      switch (opt) {
        case "--scenario" -> b.scenario = v;
        case "--subscribers" -> b.subscribers = positive(opt, v);
        case "--messages" -> b.messages = positive(opt, v);
        case "--rate" -> b.rate = positive(opt, v);
        case "--nodes" -> b.nodes = positive(opt, v);
        case "--cycles" -> b.cycles = positive(opt, v);
        case "--channels" -> b.channels = positive(opt, v);
        case "--concurrency" -> b.concurrency = positive(opt, v);
        case "--client" -> {
          if (!v.equals("lean") && !v.equals("vertx")) {
            throw new IllegalArgumentException("--client must be lean or vertx, got '" + v + "'");
          }
          b.leanClient = v.equals("lean");
        }
        case "--local-subscribers" -> b.localSubscribers = positive(opt, v);
        case "--transport" -> {
          if (!v.equals("ws") && !v.equals("sse")) {
            throw new IllegalArgumentException("--transport must be ws or sse, got '" + v + "'");
          }
          b.transport = v;
        }
        case "--compression" -> {
          if (!v.equals("on") && !v.equals("off")) {
            throw new IllegalArgumentException("--compression must be on or off, got '" + v + "'");
          }
          b.compression = v.equals("on");
        }
        case "--payload" -> b.payload = atLeastZero(opt, v);
        case "--slow-consumers" -> b.slowConsumers = atLeastZero(opt, v);
        case "--warmup" -> b.warmup = atLeastZero(opt, v);
        case "--hold" -> b.hold = atLeastZero(opt, v);
        case "--timeout" -> b.timeout = Math.max(60, positive(opt, v));
        case "--target" -> b.targets.add(target(v));
        case "--jar" -> b.jar = Path.of(v);
        case "--node-jvm-arg" -> b.jvmArgs.add(v);
        case "--node-config" -> b.config.add(nodeConfig(v));
        case "--client-processes" -> b.clientProcesses = positive(opt, v);
        case "--sse-percent" -> {
          b.ssePercent = atLeastZero(opt, v);
          if (b.ssePercent > 100) {
            throw new IllegalArgumentException(opt + " is at most 100, not " + v);
          }
        }
        case "--spacing" -> b.spacing = positive(opt, v);
        case "--source-addresses" -> {
          b.sourceAddresses = positive(opt, v);
          if (b.sourceAddresses > SourceAddresses.MAX) {
            throw new IllegalArgumentException(opt + " is at most " + SourceAddresses.MAX + ", not " + v);
          }
        }
        default -> throw new IllegalArgumentException("unknown option " + opt);
      }
    }
    if (b.scenario == null) {
      throw new IllegalArgumentException("--scenario is required");
    }
    if (!SCENARIOS.contains(b.scenario)) {
      throw new IllegalArgumentException("unknown scenario '" + b.scenario + "' (one of " + String.join(", ", SCENARIOS.stream().sorted().toList()) + ")");
    }
    if (!b.targets.isEmpty() && b.nodes != null && b.nodes != b.targets.size()) {
      throw new IllegalArgumentException("--nodes " + b.nodes + " contradicts " + b.targets.size() + " --target URL(s)");
    }
    if (b.pin && !b.targets.isEmpty()) {
      throw new IllegalArgumentException("--pin pins the nodes the bench starts; with --target, start your nodes under taskset yourself");
    }
    if (b.sourceAddresses != null && !b.scenario.equals("idle")) {
      throw new IllegalArgumentException("--source-addresses applies to the idle scenario only");
    }
    if (b.scenario.equals("cluster-hold")) {
      if (!b.targets.isEmpty()) {
        throw new IllegalArgumentException("cluster-hold starts its own nodes (it kills one): no --target");
      }
      if (b.nodes != null && b.nodes < 2) {
        throw new IllegalArgumentException("cluster-hold needs at least two nodes (one is killed)");
      }
      if (b.clientProcesses != null && b.clientProcesses > SourceAddresses.MAX - 1) {
        throw new IllegalArgumentException("--client-processes is at most " + (SourceAddresses.MAX - 1));
      }
    }
    if (!b.scenario.equals("cluster-hold") && (b.clientProcesses != null || b.ssePercent != null || b.spacing != null)) {
      throw new IllegalArgumentException("--client-processes, --sse-percent and --spacing apply to cluster-hold only");
    }
    if (b.localSubscribers != null && !b.scenario.equals("cross-node")) {
      throw new IllegalArgumentException("--local-subscribers is for cross-node");
    }
    if (!b.transport.equals("ws") && !b.scenario.equals("cross-node") && !b.scenario.equals("burst")) {
      throw new IllegalArgumentException("--transport is for cross-node and burst (the other scenarios name theirs)");
    }
    if (b.compression) {
      if (b.transport.equals("sse")) {
        throw new IllegalArgumentException("--compression is for WebSocket subscribers, not --transport sse");
      }
      if (!b.scenario.equals("ws-fanout") && !b.scenario.equals("cross-node") && !b.scenario.equals("burst")) {
        throw new IllegalArgumentException("--compression is for WebSocket fan-out (ws-fanout, cross-node, burst)");
      }
      if (!b.leanClient) {
        throw new IllegalArgumentException("--compression on needs --client lean");
      }
      if (b.config.stream().noneMatch(c -> c.startsWith("ws.compression="))) {
        b.config.add("ws.compression=true"); // the nodes the bench starts offer it too
      }
    }
    BenchArgs parsed = new BenchArgs(b);
    if (parsed.scenario.equals("cross-node") && parsed.nodes < 2) {
      throw new IllegalArgumentException("cross-node needs two nodes (--nodes 2, or two --target URLs)");
    }
    if (parsed.slowConsumers > 0 && !FANOUT.contains(parsed.scenario)) {
      throw new IllegalArgumentException("--slow-consumers applies to ws-fanout, sse-fanout, cross-node and burst only");
    }
    if (parsed.nodes > 8) {
      throw new IllegalArgumentException("--nodes is at most 8 on one machine");
    }
    return parsed;
  }

  private static String usage() {
    StringBuilder b = new StringBuilder("usage: java -jar pulse.jar bench --scenario ws-fanout|sse-fanout|bridge-fanout|cross-node|burst|idle|churn|cluster-hold [options]");
    for (String[] o : OPTIONS) {
      b.append(String.format("%n  %-19s %-54s %s", o[0], o[1], o[2].isEmpty() ? "" : "default " + o[2]).stripTrailing());
    }
    return b.toString();
  }

  private static int positive(String opt, String v) {
    int n = number(opt, v);
    if (n < 1) {
      throw new IllegalArgumentException(opt + " must be at least 1, not " + v);
    }
    return n;
  }

  private static int atLeastZero(String opt, String v) {
    int n = number(opt, v);
    if (n < 0) {
      throw new IllegalArgumentException(opt + " must not be negative, not " + v);
    }
    return n;
  }

  private static int number(String opt, String v) {
    try {
      return Integer.parseInt(v.replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(opt + " needs a whole number, not '" + v + "'");
    }
  }

  private static String target(String v) {
    if (!v.startsWith("http://")) {
      throw new IllegalArgumentException("--target needs an http:// base URL, not '" + v + "'");
    }
    return v.endsWith("/") ? v.substring(0, v.length() - 1) : v;
  }

  private static String nodeConfig(String v) {
    int eq = v.indexOf('=');
    if (eq < 1) {
      throw new IllegalArgumentException("--node-config needs key=value, not '" + v + "'");
    }
    return v;
  }

  private static final class Builder {
    String scenario;
    Integer subscribers;
    Integer messages;
    Integer clientProcesses;
    Integer ssePercent;
    Integer spacing;
    Integer rate;
    Integer nodes;
    int cycles = 1000;
    Integer channels;
    Integer concurrency;
    int warmup = 2;
    boolean leanClient = true;
    boolean pin;
    Integer sourceAddresses;
    String transport = "ws";
    Integer localSubscribers;
    boolean compression;
    int payload;
    int slowConsumers;
    int hold = 3;
    int timeout = 300;
    final List<String> targets = new ArrayList<>();
    Path jar;
    final List<String> jvmArgs = new ArrayList<>();
    final List<String> config = new ArrayList<>();
  }
}
