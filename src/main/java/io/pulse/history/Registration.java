package io.pulse.history;

/**
 * A channel's entry in the history registry ({@link History#CHANNELS}): which ring buffer holds
 * its window (the generation), the id of that ring buffer's sequence 0 (the base), and the state.
 * Stored as the text {@code "<generation>,<base>,<state>"}, so that a state change is a
 * compare-and-set on the text ({@code IMap.replace(key, old, new)}).
 *
 * <p>A channel's first message registers it {@link State#ACTIVE}, generation 0, base 0: ids
 * {@code 0, 1, 2, …}. Once every message has expired, the node that owns the entry marks it
 * {@link State#RETIRING}; if nobody writes or reads the channel before that node's next check, it
 * becomes {@link State#RETIRED}: the ring buffer is destroyed and the entry names the next
 * generation, whose base is the id after the last one given. The next message or read makes it
 * active again. Ids keep increasing through any number of retirements.
 */
record Registration(int generation, long base, State state) {

  enum State {
    ACTIVE('a'), RETIRING('r'), RETIRED('x');

    final char code;

    State(char code) {
      this.code = code;
    }

    static State of(char code) {
      for (State s : values()) {
        if (s.code == code) {
          return s;
        }
      }
      throw new IllegalArgumentException("unknown history registration state: " + code);
    }
  }

  /** A channel's first registration. */
  static final Registration FIRST = new Registration(0, 0, State.ACTIVE);

  /** Reads {@link #encode()}'s text. */
  static Registration parse(String text) {
    int a = text.indexOf(',');
    int b = text.indexOf(',', a + 1);
    if (a < 0 || b < 0 || b != text.length() - 2) {
      throw new IllegalArgumentException("malformed history registration: " + text);
    }
    return new Registration(Integer.parseInt(text, 0, a, 10), Long.parseLong(text, a + 1, b, 10),
        State.of(text.charAt(b + 1)));
  }

  String encode() {
    return generation + "," + base + "," + state.code;
  }

  Registration active() {
    return new Registration(generation, base, State.ACTIVE);
  }

  Registration retiring() {
    return new Registration(generation, base, State.RETIRING);
  }

  /**
   * The entry once this generation's ring buffer is gone: the next generation, starting after
   * {@code lastSeq}, this ring buffer's last sequence (-1 when it never held a message).
   */
  Registration retired(long lastSeq) {
    return new Registration(generation + 1, base + lastSeq + 1, State.RETIRED);
  }

  /** The ring buffer of this generation: {@code pulse.history.<channel>}, then {@code …~<generation>}. */
  String ringName(String channel) {
    return generation == 0 ? History.NAME_PREFIX + channel : History.NAME_PREFIX + channel + "~" + generation;
  }

  /** The id of this generation's ring-buffer sequence {@code seq} (for -1: the id before the first). */
  long id(long seq) {
    return base + seq;
  }

  /** The ring-buffer sequence of {@code id}: negative for ids before this generation. */
  long seq(long id) {
    return id - base;
  }
}
