// Keyspace notifications: Redis's notify-keyspace-events. A command that modifies a key calls
// NotifyKeyspaceEvent once per event, right after the modification, with Redis's event name
// ("set", "del", "lpush", ...); when the configured classes include the event's class, it is
// published on __keyspace@<db>__:<key> (event as message) and/or __keyevent@<db>__:<event>
// (key as message).
#ifndef STASH_SERVER_NOTIFY_H_
#define STASH_SERVER_NOTIFY_H_

#include <string_view>

#include "storage/shard.h"

namespace stash::server {

struct ServerState;

// Event classes, as Redis's NOTIFY_* flags; the letters are notify-keyspace-events'.
enum NotifyFlag : int {
  kNotifyKeyspace = 1 << 0,  // K
  kNotifyKeyevent = 1 << 1,  // E
  kNotifyGeneric = 1 << 2,   // g
  kNotifyString = 1 << 3,    // $
  kNotifyList = 1 << 4,      // l
  kNotifySet = 1 << 5,       // s
  kNotifyHash = 1 << 6,      // h
  kNotifyZset = 1 << 7,      // z
  kNotifyExpired = 1 << 8,   // x
  kNotifyEvicted = 1 << 9,   // e
  kNotifyStream = 1 << 10,   // t
  kNotifyKeyMiss = 1 << 11,  // m
  kNotifyModule = 1 << 12,   // d
  kNotifyNew = 1 << 13,      // n
  kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash |
               kNotifyZset | kNotifyExpired | kNotifyEvicted | kNotifyStream | kNotifyModule,
};

// Redis's keyspaceEventsStringToFlags: -1 for a letter outside "Ag$lshzxeKEtmdn".
int ParseKeyspaceEventFlags(std::string_view letters);

// Publishes the event if notify-keyspace-events asks for its class. Cheap when it does not.
void NotifyKeyspaceEvent(ServerState& server, int type, std::string_view event,
                         std::string_view key, int db);

// Where events go from code that has no CommandContext (serving a blocked client later, on
// another thread): the server and the database of the command.
struct EventTarget {
  ServerState* server;
  int db;
  void Notify(int type, std::string_view event, std::string_view key) const {
    NotifyKeyspaceEvent(*server, type, event, key, db);
  }
};

// What the shards of one database report (see storage::KeyObserver): every modification goes to
// client tracking, every lazily expired key becomes an "expired" event. The one place where key
// changes that no command handler sees (expiry, eviction) reach tracking and notifications.
class KeyEvents : public storage::KeyObserver {
 public:
  KeyEvents(ServerState& server, int db) : server_(server), db_(db) {}
  void KeyModified(std::string_view key) override;
  void KeyExpired(std::string_view key) override;
  void KeyCreated(std::string_view key) override;

 private:
  ServerState& server_;
  int db_;
};

}  // namespace stash::server

#endif  // STASH_SERVER_NOTIFY_H_
