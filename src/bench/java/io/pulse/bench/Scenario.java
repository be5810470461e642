package io.pulse.bench;

/** One benchmark scenario: drives clients against the context's nodes and reports what it saw. */
interface Scenario {

  Report run(BenchContext ctx) throws Exception;

  /** The scenario named on the command line. */
  static Scenario named(String name) {
    return switch (name) {
      case "ws-fanout" -> new FanoutScenario(FanoutScenario.Transport.WS, false);
      case "sse-fanout" -> new FanoutScenario(FanoutScenario.Transport.SSE, false);
      case "bridge-fanout" -> new FanoutScenario(FanoutScenario.Transport.BRIDGE, false);
      case "cross-node" -> new FanoutScenario(FanoutScenario.Transport.WS, true);
      case "idle" -> new IdleScenario();
      case "churn" -> new ChurnScenario();
      case "cluster-hold" -> new ClusterHoldScenario();
      default -> throw new IllegalArgumentException("unknown scenario " + name);
    };
  }
}
