package io.pulse.config;

/** A configuration problem: its message is the one line shown to the operator, naming the key. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message, null, false, false);
  }
}
