package io.pulse.bench;

/** One benchmark scenario: drives clients against the context's nodes and reports what it saw. */
interface Scenario {

  Report run(BenchContext ctx) throws Exception;

  /** The scenario named on the command line ({@code burst}: with its {@code --transport}). */
  static Scenario named(BenchArgs a) {
    return switch (a.scenario) {
      case "ws-fanout" -> new FanoutScenario(FanoutScenario.Transport.WS, false);
      case "sse-fanout" -> new FanoutScenario(FanoutScenario.Transport.SSE, false);
      case "bridge-fanout" -> new FanoutScenario(FanoutScenario.Transport.BRIDGE, false);
      case "cross-node" -> new FanoutScenario(FanoutScenario.Transport.WS, true);
      case "burst" -> new FanoutScenario(a.transport.equals("sse") ? FanoutScenario.Transport.SSE
          : FanoutScenario.Transport.WS, false);
      case "idle" -> new IdleScenario();
      case "churn" -> new ChurnScenario();
      default -> throw new IllegalArgumentException("unknown scenario " + a.scenario);
    };
  }
}
