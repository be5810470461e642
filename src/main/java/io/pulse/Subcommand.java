package io.pulse;

/**
 * A command of {@code java -jar pulse.jar NAME …} that is not part of the server: {@link Main}
 * finds it with {@link java.util.ServiceLoader} (a {@code META-INF/services/io.pulse.Subcommand}
 * entry in a jar on the class path) and knows none by name. The benchmark ({@code bench}) is one:
 * it is built into {@code target/pulse-bench.jar}, which {@code pulse.jar}'s manifest puts on the
 * class path when it lies beside it.
 */
public interface Subcommand {

  /** The first argument that selects it, for example {@code bench}. */
  String name();

  /** Runs it with the arguments after its name; returns the process's exit code. */
  int run(String[] args);
}
