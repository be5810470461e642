package io.pulse.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pulse.history.Registration.State;
import org.junit.jupiter.api.Test;

class RegistrationTest {

  @Test
  void textRoundTrips() {
    for (Registration r : new Registration[] {Registration.FIRST, new Registration(3, 1_234_567_890_123L, State.RETIRING),
        new Registration(12, 0, State.RETIRED)}) {
      assertEquals(r, Registration.parse(r.encode()));
    }
    assertEquals("0,0,a", Registration.FIRST.encode());
  }

  @Test
  void malformedTextIsRefused() {
    for (String bad : new String[] {"", "0,0", "0,0,", "0,0,q", "a,0,a", "0,0,aa", "0;0;a"}) {
      assertThrows(IllegalArgumentException.class, () -> Registration.parse(bad), bad);
    }
  }

  @Test
  void idsContinueAcrossGenerations() {
    Registration first = Registration.FIRST;
    assertEquals(41, first.id(41));
    assertEquals(-1, first.id(-1), "the last id of an empty first generation");
    Registration retired = first.retiring().retired(41);
    assertEquals(new Registration(1, 42, State.RETIRED), retired);
    Registration second = retired.active();
    assertEquals(42, second.id(0), "the next generation's first id follows the last one given");
    assertEquals(41, second.id(-1), "an empty generation's last id is the previous one's");
    assertEquals(0, second.seq(42));
    assertEquals(-42, second.seq(0), "ids of an earlier generation come before this one's sequence 0");
    assertEquals(new Registration(2, 42, State.RETIRED), second.retired(-1), "a generation without messages adds no id");
  }

  @Test
  void eachGenerationHasItsOwnRingBuffer() {
    assertEquals(History.NAME_PREFIX + "a.b", Registration.FIRST.ringName("a.b"));
    assertEquals(History.NAME_PREFIX + "a.b~2", new Registration(2, 7, State.ACTIVE).ringName("a.b"));
  }
}
