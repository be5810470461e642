package io.pulse.bench;

import io.pulse.Subcommand;

/**
 * {@code java -jar pulse.jar bench …}: how {@link io.pulse.Main} finds the bench, through
 * {@code META-INF/services/io.pulse.Subcommand} in {@code pulse-bench.jar}.
 */
public final class BenchSubcommand implements Subcommand {

  @Override
  public String name() {
    return "bench";
  }

  @Override
  public int run(String[] args) {
    System.setProperty("java.net.preferIPv4Stack", "true");
    return Bench.run(args, System.out, System.err);
  }
}
