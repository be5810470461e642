package io.pulse.bench;

/** Byte-array search for the bench's parsers: no String is made per message. */
final class Bytes {

  private Bytes() {
  }

  /** The first index of {@code key} in {@code bytes[from, to)}, or -1. */
  static int indexOf(byte[] bytes, int from, int to, byte[] key) {
    outer:
    for (int i = from; i <= to - key.length; i++) {
      for (int k = 0; k < key.length; k++) {
        if (bytes[i + k] != key[k]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
