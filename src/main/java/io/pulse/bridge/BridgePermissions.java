package io.pulse.bridge;

import io.vertx.ext.bridge.PermittedOptions;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The application addresses a page may use, from {@code bridge.inbound} / {@code bridge.outbound}:
 * an exact address, or a prefix pattern {@code a.b.*} (every address under {@code a.b.}, at any
 * depth, as with channel patterns). Nothing else is permitted; Pulse's channels
 * ({@code pulse.ch.*}) are not in these lists: the token's rights govern them.
 */
final class BridgePermissions {

  private BridgePermissions() {
  }

  /** vertx-web's form of one configured entry. */
  static PermittedOptions permitted(String entry) {
    if (entry.endsWith(".*")) {
      return new PermittedOptions().setAddressRegex(Pattern.quote(entry.substring(0, entry.length() - 1)) + ".+");
    }
    return new PermittedOptions().setAddress(entry);
  }

  static List<PermittedOptions> permitted(List<String> entries) {
    return entries.stream().map(BridgePermissions::permitted).toList();
  }

  /** True when {@code address} is covered by one of {@code entries} (the check vertx-web makes). */
  static boolean allows(List<String> entries, String address) {
    for (String e : entries) {
      if (e.endsWith(".*") ? address.startsWith(e.substring(0, e.length() - 1)) && address.length() > e.length() - 1
          : e.equals(address)) {
        return true;
      }
    }
    return false;
  }
}
