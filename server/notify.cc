#include "server/notify.h"

#include <string>

#include "server/pubsub.h"
#include "server/server_state.h"

namespace stash::server {

int ParseKeyspaceEventFlags(std::string_view letters) {
  int flags = 0;
  for (char c : letters) {
    switch (c) {
      case 'A': flags |= kNotifyAll; break;
      case 'g': flags |= kNotifyGeneric; break;
      case '$': flags |= kNotifyString; break;
      case 'l': flags |= kNotifyList; break;
      case 's': flags |= kNotifySet; break;
      case 'h': flags |= kNotifyHash; break;
      case 'z': flags |= kNotifyZset; break;
      case 'x': flags |= kNotifyExpired; break;
      case 'e': flags |= kNotifyEvicted; break;
      case 'K': flags |= kNotifyKeyspace; break;
      case 'E': flags |= kNotifyKeyevent; break;
      case 't': flags |= kNotifyStream; break;
      case 'm': flags |= kNotifyKeyMiss; break;
      case 'd': flags |= kNotifyModule; break;
      case 'n': flags |= kNotifyNew; break;
      default: return -1;
    }
  }
  return flags;
}

void NotifyKeyspaceEvent(ServerState& server, int type, std::string_view event,
                         std::string_view key, int db) {
  int flags = server.pubsub.notify_flags();
  if (!(flags & type)) return;
  std::string prefix = "@" + std::to_string(db) + "__:";
  if (flags & kNotifyKeyspace) {
    std::string channel = "__keyspace" + prefix;
    channel += key;
    server.pubsub.Publish(ChannelScope::kGlobal, channel, event);
  }
  if (flags & kNotifyKeyevent) {
    std::string channel = "__keyevent" + prefix;
    channel += event;
    server.pubsub.Publish(ChannelScope::kGlobal, channel, key);
  }
}

void KeyEvents::KeyModified(std::string_view key) {
  // Every write comes here: stay at one atomic load while nobody tracks.
  if (server_.tracking.active()) server_.tracking.KeyModified(key, CurrentClientScope::Id());
}

void KeyEvents::KeyCreated(std::string_view key) {
  NotifyKeyspaceEvent(server_, kNotifyNew, "new", key, db_);
}

void KeyEvents::KeyExpired(std::string_view key) {
  NotifyKeyspaceEvent(server_, kNotifyExpired, "expired", key, db_);
}

}  // namespace stash::server
