package io.pulse.bench;

/** One benchmark scenario: drives clients against the context's nodes and reports what it saw. */
interface Scenario {

  Report run(BenchContext ctx) throws Exception;

  /** The scenario named on the command line (cross-node and burst: with their {@code --transport}). */
  static Scenario named(BenchArgs args) {
    FanoutScenario.Transport chosen = args.transport.equals("sse") ? FanoutScenario.Transport.SSE : FanoutScenario.Transport.WS;
    return switch (args.scenario) {
      case "ws-fanout" -> new FanoutScenario(FanoutScenario.Transport.WS, false);
      case "sse-fanout" -> new FanoutScenario(FanoutScenario.Transport.SSE, false);
      case "bridge-fanout" -> new FanoutScenario(FanoutScenario.Transport.BRIDGE, false);
      case "cross-node" -> new FanoutScenario(chosen, true);
      case "burst" -> new FanoutScenario(chosen, false);
      case "idle" -> new IdleScenario();
      case "churn" -> new ChurnScenario();
      case "cluster-hold" -> new ClusterHoldScenario();
      default -> throw new IllegalArgumentException("unknown scenario " + args.scenario);
    };
  }
}
