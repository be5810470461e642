package io.pulse.testing;

import java.io.File;
import java.nio.file.Path;

/** The packaged {@code pulse.jar} that the multi-JVM tests start, and the java that runs it. */
public final class ShadedJar {

  private ShadedJar() {
  }

  /** The jar ({@code pulse.it.jar}, set by the slow profile); fails if it was not packaged. */
  public static File file() {
    File jar = new File(System.getProperty("pulse.it.jar", "target/pulse.jar"));
    if (!jar.isFile()) {
      throw new AssertionError("no " + jar + ": these tests run after packaging (mvn -Pslow verify)");
    }
    return jar.getAbsoluteFile();
  }

  /** This JVM's own {@code java} launcher. */
  public static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
