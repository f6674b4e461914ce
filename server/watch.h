// WATCH bookkeeping shared by the transaction commands and the connection (which must drop its
// registrations when it closes).
#ifndef STASH_SERVER_WATCH_H_
#define STASH_SERVER_WATCH_H_

#include "server/client_state.h"
#include "server/server_state.h"

namespace stash::server {

// Removes every WATCH registration of the client. REQUIRES: the caller holds no lock.
void UnwatchAllKeys(ServerState& server, int worker_id, ClientState& client);

}  // namespace stash::server

#endif  // STASH_SERVER_WATCH_H_
